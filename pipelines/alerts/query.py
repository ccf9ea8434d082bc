"""The alert query language: parsed into a small tree, with errors that point at the problem.

Grammar (operators are upper case; adjacent terms are ANDed)::

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := unary (["AND"] unary)*
    unary    := "NOT" unary | primary
    primary  := "(" or_expr ")" | [field ":"] atom | field ":" "(" or_expr ")"
    atom     := ["="] (word | word "*" | '"' phrase '"')
    field    := "title" | "source" | "lang" | "paywalled"

``=`` makes a word or phrase exact-only (no spelling variants). Words with
inner punctuation (``al-Qaeda``, ``U.S.``) become phrases of their parts.
The tree is shared by alert matching and by feed search (translated to a
tsquery there), so it carries folded words, not SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from wirewatch.pipelines.alerts.text import fold, words
from wirewatch.pipelines.errors import UsageError

TEXT_FIELDS = ("title",)  # fields matched against words of the story
FILTER_FIELDS = ("source", "lang", "paywalled")  # fields compared with a story attribute
BOOLEAN_VALUES = ("true", "false")  # what ``paywalled:`` takes
FIELDS = TEXT_FIELDS + FILTER_FIELDS

MAX_QUERY_LENGTH = 2000
MAX_TERMS = 100
MAX_DEPTH = 32
MIN_PREFIX = 3  # 'sa*' would match half the dictionary

_FILTER_VALUE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_FIELD_WORD = re.compile(r"^([A-Za-z]+):")
_OPERATORS = {"AND", "OR", "NOT"}


class QuerySyntaxError(UsageError):
    """A malformed query; ``position`` is the 1-based character where it went wrong."""

    def __init__(self, query: str, position: int, reason: str):
        self.query = query
        self.position = position
        self.reason = reason
        caret = " " * (position - 1) + "^"
        super().__init__(f"invalid query at position {position}: {reason}\n  {query}\n  {caret}")


# --- the tree -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """One folded word; ``prefix`` for ``sanction*``; ``field`` None means title and body."""

    text: str
    field: str | None = None
    prefix: bool = False
    exact: bool = False
    position: int = 0


@dataclass(frozen=True)
class Phrase:
    """Folded words that must appear next to each other, in order."""

    words: tuple[str, ...]
    field: str | None = None
    exact: bool = False
    position: int = 0


@dataclass(frozen=True)
class Filter:
    """``source:tass``, ``lang:en`` or ``paywalled:true``: a story attribute, not its words."""

    field: str
    value: str
    position: int = 0


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Leaf = Word | Phrase | Filter
Node = Word | Phrase | Filter | And | Or | Not


def leaves(node: Node) -> Iterator[Leaf]:
    """Every word, phrase and filter of the tree, left to right."""
    if isinstance(node, And | Or):
        for child in node.children:
            yield from leaves(child)
    elif isinstance(node, Not):
        yield from leaves(node.child)
    else:
        yield node


def evaluate(node: Node, truth: dict[Leaf, bool] | AbstractSet[Leaf]) -> bool:
    """The query's value when exactly the leaves in ``truth`` match."""
    if isinstance(node, And):
        return all(evaluate(c, truth) for c in node.children)
    if isinstance(node, Or):
        return any(evaluate(c, truth) for c in node.children)
    if isinstance(node, Not):
        return not evaluate(node.child, truth)
    return bool(truth.get(node)) if isinstance(truth, dict) else node in truth


def format_query(node: Node) -> str:
    """A canonical text form of the tree (parses back to the same tree, positions aside)."""

    def prefix(field: str | None, exact: bool) -> str:
        return (f"{field}:" if field else "") + ("=" if exact else "")

    if isinstance(node, Word):
        return prefix(node.field, node.exact) + node.text + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return prefix(node.field, node.exact) + '"' + " ".join(node.words) + '"'
    if isinstance(node, Filter):
        return f"{node.field}:{node.value}"
    if isinstance(node, Not):
        inner = format_query(node.child)
        return f"NOT ({inner})" if isinstance(node.child, And | Or) else f"NOT {inner}"
    joiner = " AND " if isinstance(node, And) else " OR "
    parts = []
    for child in node.children:
        text = format_query(child)
        parts.append(f"({text})" if isinstance(child, And | Or) else text)
    return joiner.join(parts)


# --- lexer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE FIELD LPAREN RPAREN AND OR NOT EXACT END
    text: str
    position: int  # 1-based


_SPECIAL = set('()"')


def _lex(query: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Tok("LPAREN" if ch == "(" else "RPAREN", ch, i + 1))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError(query, i + 1, "unbalanced quote: this phrase is not closed")
            tokens.append(_Tok("PHRASE", query[i + 1 : end], i + 1))
            i = end + 1
        elif ch == "=":
            tokens.append(_Tok("EXACT", ch, i + 1))
            i += 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _SPECIAL:
                i += 1
            text = query[start:i]
            field = _FIELD_WORD.match(text)
            if field:
                tokens.append(_Tok("FIELD", field.group(1), start + 1))
                rest = text[field.end() :]
                if rest.startswith("="):
                    tokens.append(_Tok("EXACT", "=", start + field.end() + 1))
                    rest = rest[1:]
                if rest:
                    tokens.append(_Tok("WORD", rest, start + len(text) - len(rest) + 1))
            elif text in _OPERATORS:
                tokens.append(_Tok(text, text, start + 1))
            else:
                tokens.append(_Tok("WORD", text, start + 1))
    tokens.append(_Tok("END", "", n + 1))
    return tokens


# --- parser -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = _lex(query)
        self.i = 0
        self.depth = 0

    def fail(self, position: int, reason: str) -> QuerySyntaxError:
        return QuerySyntaxError(self.query, position, reason)

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.tok.kind == "END":
            raise self.fail(1, "empty query")
        node = self.or_expr(None)
        if self.tok.kind == "RPAREN":
            raise self.fail(self.tok.position, "unbalanced parenthesis: nothing to close here")
        if self.tok.kind != "END":  # pragma: no cover - every other token starts a term
            raise self.fail(self.tok.position, f"unexpected {self.tok.text!r}")
        return node

    def or_expr(self, field: str | None) -> Node:
        children = [self.and_expr(field)]
        while self.tok.kind == "OR":
            self.take()
            children.append(self.and_expr(field))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self, field: str | None) -> Node:
        children = [self.unary(field)]
        while self.tok.kind not in ("OR", "RPAREN", "END"):
            if self.tok.kind == "AND":
                self.take()
            children.append(self.unary(field))
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self, field: str | None) -> Node:
        if self.tok.kind == "NOT":
            self.take()
            return Not(self.unary(field))
        return self.primary(field)

    def primary(self, field: str | None) -> Node:
        tok = self.tok
        if tok.kind == "LPAREN":
            return self.group(field)
        if tok.kind == "FIELD":
            self.take()
            name = tok.text.lower()
            if name not in FIELDS:
                raise self.fail(
                    tok.position, f"unknown field {tok.text!r} (known: {', '.join(FIELDS)})"
                )
            if field is not None:
                raise self.fail(tok.position, f"field {name!r} inside a {field!r} group")
            glued = self.tok.position == tok.position + len(tok.text) + 1
            if glued and self.tok.kind == "LPAREN":
                return self.group(name)
            if not glued or self.tok.kind not in ("WORD", "PHRASE", "EXACT"):
                raise self.fail(
                    tok.position + len(tok.text) + 1, f"{name}: needs a value right after the colon"
                )
            return self.atom(name)
        if tok.kind in ("WORD", "PHRASE", "EXACT"):
            return self.atom(field)
        if tok.kind in ("AND", "OR"):
            raise self.fail(tok.position, f"{tok.kind} needs a term on both sides")
        if tok.kind == "NOT":  # pragma: no cover - handled by unary
            raise self.fail(tok.position, "NOT needs a term after it")
        if tok.kind == "RPAREN":
            raise self.fail(tok.position, "empty parentheses or a missing term before ')'")
        raise self.fail(tok.position, "the query ends where a term is expected")

    def group(self, field: str | None) -> Node:
        opening = self.take()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(opening.position, f"parentheses nested deeper than {MAX_DEPTH}")
        if self.tok.kind == "RPAREN":
            raise self.fail(self.tok.position, "empty parentheses")
        node = self.or_expr(field)
        if self.tok.kind != "RPAREN":
            raise self.fail(opening.position, "unbalanced parenthesis: this '(' is not closed")
        self.take()
        self.depth -= 1
        return node

    def atom(self, field: str | None) -> Leaf:
        exact = False
        if self.tok.kind == "EXACT":
            exact = True
            self.take()
            if self.tok.kind not in ("WORD", "PHRASE"):
                raise self.fail(self.tok.position, "'=' must be followed by a word or a phrase")
        tok = self.take()
        if field in FILTER_FIELDS:
            return self.filter(field, tok, exact)
        if tok.kind == "PHRASE":
            parts = tuple(words(tok.text))
            if not parts:
                raise self.fail(tok.position, "empty phrase")
            if len(parts) == 1:
                return Word(parts[0], field, False, exact, tok.position)
            return Phrase(parts, field, exact, tok.position)
        text = tok.text
        prefix = text.endswith("*")
        if prefix:
            text = text[:-1]
        if "*" in text:
            raise self.fail(
                tok.position + text.index("*"), "'*' is only allowed at the end of a word"
            )
        parts = tuple(words(text))
        if not parts:
            if prefix and not text:
                raise self.fail(tok.position, "'*' needs at least a few letters before it")
            raise self.fail(tok.position, f"{tok.text!r} has no letters or digits")
        if prefix:
            if len(parts) > 1:
                raise self.fail(tok.position, "'*' only works on a single word, not on a phrase")
            if len(parts[0]) < MIN_PREFIX:
                raise self.fail(
                    tok.position, f"a prefix needs at least {MIN_PREFIX} letters before '*'"
                )
            return Word(parts[0], field, True, True, tok.position)
        if len(parts) == 1:
            return Word(parts[0], field, False, exact, tok.position)
        return Phrase(parts, field, exact, tok.position)

    def filter(self, field: str, tok: _Tok, exact: bool) -> Filter:
        value = fold(tok.text.strip())
        if tok.kind == "PHRASE" or exact or not _FILTER_VALUE.match(value):
            raise self.fail(
                tok.position,
                f"{field}: takes a plain name such as {'tass' if field == 'source' else 'en'}",
            )
        if field == "lang":
            value = value.split("-")[0].split("_")[0]
        if field == "paywalled" and value not in BOOLEAN_VALUES:
            raise self.fail(tok.position, "paywalled: takes true or false")
        return Filter(field, value, tok.position)


def parse(query: str) -> Node:
    """Parse ``query`` or raise :class:`QuerySyntaxError` (exit status 2) saying where and why."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(query[:60] + "…", 1, f"longer than {MAX_QUERY_LENGTH} characters")
    if any(ch in query for ch in "\r\n\x00"):
        bad = min(query.find(ch) for ch in "\r\n\x00" if ch in query)
        raise QuerySyntaxError(
            query.replace("\r", " ").replace("\n", " ").replace("\x00", " "),
            bad + 1,
            "line breaks and control characters are not allowed",
        )
    tree = _Parser(query).parse()
    found = list(leaves(tree))
    if len(found) > MAX_TERMS:
        raise QuerySyntaxError(query, 1, f"more than {MAX_TERMS} terms")
    if evaluate(tree, set()):
        raise QuerySyntaxError(
            query,
            1,
            "the query would match stories containing none of its terms; "
            "add a term that must be present (NOT alone matches nearly everything)",
        )
    return tree
