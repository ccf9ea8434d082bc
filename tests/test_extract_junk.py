"""Junk-line rules: every rule removes a line seen on a real news page, and keeps prose.

The examples are short lines quoted from real pages (the seeds in
``../shared/seeds/`` and the outlet pages in ``../shared/fixtures/real/``).
"""

from __future__ import annotations

import pytest

from wirewatch.pipelines.extract.junk import RULES, clean_lines, is_about_us, junk_rule

# rule -> real lines it must remove
REAL_EXAMPLES: dict[str, list[str]] = {
    "skip_link": ["Skip to main content", "Accessibility links"],
    "banner": ["Breaking News", "Advertisement"],
    "image_placeholder": ["• 16x9 Image", "Image caption,", "Enlarge this image"],
    "caption_credit": [
        "Afghan Taliban fighters listen to Mullah Mohammad Rasool Akhund (unseen), the newly "
        "appointed leader of a breakaway faction of the Taliban, at Bakwah in the western "
        "province of Farah in November 3.",
        "Photo: AFP",
        "Mexican President Andres Manuel Lopez Obrador speaks. (AP Photo/Marco Ugarte)",
    ],
    "reporting_credit": [
        "With reporting by Reuters, AFP, Interfax, Radio Free Afghanistan, and The Sunday Times",
        "Reporting by Jason Hovet",
        "(Reporting by Michel Rose; Editing by Alex Richardson)",
        "- Übersetzung und Adaptierung: AFP Deutschland",
    ],
    "byline": ["- Von: Bill MCCARTHY, Marisha GOLDHAMER", "By Maya Gebeily and Anthony Deutsch"],
    "reading_time": ["- 3 Minuten Lesezeit", "1 Min Read"],
    "timestamp": [
        "- Veröffentlicht am 13. Mai 2026 um 15:44",
        "20 Nisan 2026•Güncelleme: 20 Nisan 2026",
        "Published: Aug 08, 2024 4:00 AM EDT",
    ],
    "donation_prompt": ["Support The Moscow Times!"],
    "newsletter_prompt": [
        "- Ground Game: Sign up for AP’s weekly politics newsletter to get it in your inbox "
        "every Monday.",
        "- Want Weekly Recs on What to Watch, Read, and More? Sign Up for Worth Your Time",
        "Sign up (it's quick and free) or sign in now.",
        "Get daily Canada news delivered to your inbox so you'll never miss the day's top stories.",
        "Get local news delivered to your inbox!",
        "The next issue of NP Posted will soon be in your inbox.",
    ],
    "own_newsletter_pitch": [
        "Our website is the place for the latest breaking news, exclusive scoops, longreads and "
        "provocative commentary. Please bookmark nationalpost.com and sign up for our daily "
        "newsletter, Posted, here."
    ],
    "comments_prompt": [
        "Join our commenting forum",
        "Join thought-provoking conversations, follow other Independent readers and see their "
        "replies",
        "Show new comments (0)",
        "Join the conversation",
        "Have your say...",
        "Share your thoughts and join the conversation in the comments.",
    ],
    "advertisement": ["- Advertisement embed-more-topicStory continues below"],
    "share_prompt": ["Comments", "1 comment", "Share this article"],
    # Composed: the sharing tools of real pages ("Email", malaymail; "Print", voanews) in a row.
    "share_row": ["Email | Print", "Print · Email · Share"],
    "follow_prompt": ["Follow BBC on:", "Follow Us"],
    "news_tip": ["News Tip"],
    "tag_line": ["Related topics", "Related Topics"],
    "legal_line": [
        "Terms of Use & Privacy Notice",
        "Terms of Use / Privacy Policy / Manage Newsletters",
        "Terms of Service | Privacy Policy",
        "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service "
        "apply.",
    ],
    "login_prompt": [
        "Already have an account?",
        "You can save this article by registering for free here. Or sign-in if you have an "
        "account.",
    ],
    "read_more": [
        "Read moreAccessibility links",
        "Read more: Inside a Controversial Startup's Risky Attempt to Control Our Climate",
        "READ MORE: Greek police fire tear gas at migrants as country accuses Turkey of sending "
        "an ‘onslaught’",
        "CLICK HERE TO GET THE FOX NEWS APP",
        # Composed: the prompt phrase with a real DW and TASS headline after it.
        "Mehr zum Thema: Wer ist Boris Nadeschdin?",
        "Читайте также: Движение по ЦКАД открывается",
    ],
    "cookie_notice": ["This site uses cookies to give you the best experience."],
    "contact_line": ["Write to Alejandro de la Garza at alejandro.delagarza@time.com"],
    "copyright": [
        "Copyright © 2023 The Washington Times, LLC.",
        "Copyright 2020 The Associated Press. All rights reserved.",
    ],
}

# Real article sentences that mention what the rules look for, and must stay.
REAL_PROSE = [
    "Thanks for referencing my comments in your post. I have also fleshed out those comments "
    "in a blog I posted today.",
    "Registered voters in the state will receive their ballots by mail next week.",
    "He said channels of communication had been established with the Taliban to exchange "
    "information.",
    '"But we do not see a need for receiving aid from anyone concerning so-called Daesh and '
    'neither have we contacted nor talked with anyone about this issue."',
    "Photographers gathered outside the court as the verdict was read.",
    "Related parties must disclose their interests under the new rules, the regulator said.",
    "By Monday, prices had risen again.",
    "Write to your representative at once, the campaign urged its supporters.",
    "The report was published on 5 May 2024.",
    "Updated figures show 12 deaths.",
    # Sentences near the new rules' words: a tip, a follow-up, terms, topics.
    "Police followed up on a tip from a neighbour and found the van abandoned near the border.",
    "Follow-up talks on the terms of the ceasefire are due next week, diplomats said.",
    "Topics discussed at the summit included energy prices and migration.",
    "The privacy policy of the app was changed twice last year, the regulator found.",
    "Readers can email the newsroom with corrections.",
]


def test_every_rule_has_a_real_example() -> None:
    assert {rule.name for rule in RULES} == set(REAL_EXAMPLES)


@pytest.mark.parametrize(
    ("rule", "line"), [(rule, line) for rule, lines in REAL_EXAMPLES.items() for line in lines]
)
def test_rule_removes_its_real_example(rule: str, line: str) -> None:
    assert junk_rule(line) == rule


@pytest.mark.parametrize("line", REAL_PROSE)
def test_article_prose_is_not_junk(line: str) -> None:
    assert junk_rule(line) is None


def test_a_long_paragraph_that_mentions_a_newsletter_is_kept() -> None:
    line = (
        "The company said it would subscribe every customer to its newsletter by default, a "
        "change that privacy regulators in three countries said breaks consumer law and that "
        "lawyers expect to be challenged in court before the end of the year."
    )
    assert junk_rule(line) is None


def test_outlet_about_us_blurb_is_dropped_at_the_end_of_the_text() -> None:
    blurb = (
        "RFE/RL journalists report the news in 27 languages in 23 countries where a free press "
        "is banned by the government or not fully established. We provide what many people "
        "cannot get locally: uncensored news, responsible discussion, and open debate."
    )
    assert is_about_us(blurb)
    body = ["The Taliban has denied that it held talks with Russian officials." * 2]
    kept, dropped = clean_lines([*body, blurb])
    assert kept == body
    assert dropped == [("about_us", blurb)]


def test_a_quoted_we_at_the_end_is_not_an_about_us_blurb() -> None:
    quote = (
        '"We will keep reporting from every country where our journalists can work," the '
        "broadcaster's director told reporters in 27 languages."
    )
    assert not is_about_us(quote)


def test_related_trailer_drops_the_heading_and_the_headlines_after_it() -> None:
    story = [
        f"Paragraph {i} of the story tells readers what happened in some detail." for i in range(4)
    ]
    trailer = ["Other related articles:", "Iran: Election day", "China: A leaking dam?"]
    kept, dropped = clean_lines(story + trailer)
    assert kept == story
    assert [rule for rule, _ in dropped] == ["related_trailer"] * 3


def test_a_must_reads_list_after_the_story_is_a_related_trailer() -> None:
    story = [
        f"Paragraph {i} of the story tells readers what happened in some detail." for i in range(4)
    ]
    trailer = [  # the end of a real TIME article
        "More Must-Reads From TIME",
        "- The Struggle to Save Lives Inside Gaza’s Hospitals",
        "- The Best Inventions of 2023",
        "Write to Alejandro de la Garza at alejandro.delagarza@time.com",
    ]
    kept, dropped = clean_lines(story + trailer)
    assert kept == story
    assert [rule for rule, _ in dropped] == ["related_trailer"] * 4


def test_related_heading_early_in_the_text_is_not_a_trailer() -> None:
    lines = ["Related", "This paragraph is the real story and it goes on for quite a while."] + [
        f"Paragraph {i} of the story tells readers what happened in some detail." for i in range(4)
    ]
    kept, dropped = clean_lines(lines)
    assert kept == lines[1:]
    assert dropped == [("read_more", "Related")]


TEASERS = [
    "FIVE-YEAR WINDOW? A defense institute CEO said a timeline for a potential Chinese invasion "
    "was based on expected ‘tough measures’ when Xi Jinping seeks a new term Most Taiwanese are "
    "willing to defend the nation against a Chinese attack, but the majority",
    "RESILIENCE: Once the system is operational, there would be no need to worry about the risks "
    "posed by disasters or other emergencies on communication systems, an official said Taiwan "
    "would have 24-hour access to low Earth orbit satellites by the end",
]


def test_a_run_of_cut_off_excerpts_after_the_story_is_dropped() -> None:
    story = [
        f"Paragraph {i} of the story tells readers what happened in some detail." for i in range(3)
    ]
    kept, dropped = clean_lines(story + TEASERS)
    assert kept == story
    assert dropped == [("teaser_trailer", t) for t in TEASERS]


def test_a_single_cut_off_paragraph_is_kept_as_a_truncated_page() -> None:
    story = [
        f"Paragraph {i} of the story tells readers what happened in some detail." for i in range(3)
    ]
    assert clean_lines(story + TEASERS[:1]) == (story + TEASERS[:1], [])
