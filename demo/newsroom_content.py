"""The stories of the fixture newsroom (all fictional, written for wirewatch).

Kept as data, separate from the page templates in :mod:`demo.build_site`,
so the prose can be edited without touching markup. The world: the Republic
of Kestria (capital Velmar, port city Harwick, the Lesk Valley on the river
Tamsel), one wire service and three outlets.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WireStory:
    story: str  # expected unique story id
    slug: str
    published: str  # ISO 8601, UTC
    dateline: str  # starts the first paragraph, e.g. "HARWICK, Nov 21 (MPA) —"
    headline: str
    author: str
    section: str
    paragraphs: tuple[str, ...]  # first one without the dateline
    caption: str
    credit: str


@dataclass(frozen=True)
class Copy:
    """One outlet's republication of a wire story (trimmed and edited)."""

    site: str
    story: str
    slug: str
    published: str
    headline: str
    author: str
    dateline: str  # replaces the wire dateline ("" drops it)
    keep: int  # wire paragraphs kept, from the top
    editor_note: str  # the outlet's own paragraph, appended
    reporting: str = "With reporting by Meridian Press Agency."
    replace: tuple[tuple[str, str], ...] = ()  # e.g. a different transliteration
    section: str = "world"


@dataclass(frozen=True)
class Original:
    """An outlet's own story."""

    site: str
    story: str
    slug: str
    published: str
    headline: str
    author: str
    section: str
    paragraphs: tuple[str, ...]
    caption: str
    credit: str
    lang: str = "en"
    charset: str = "utf-8"
    notes: tuple[str, ...] = field(default_factory=tuple)


WIRE: tuple[WireStory, ...] = (
    WireStory(
        story="tamsel-floods",
        slug="20261120-tamsel-floods",
        published="2026-11-20T06:40:00Z",
        dateline="LESK VALLEY, Kestria, Nov 20 (MPA) —",
        headline="Tamsel bursts its banks, forcing 6,000 from homes in Lesk Valley",
        author="Irena Vasko",
        section="National",
        paragraphs=(
            "The Tamsel river burst its banks in at least four places overnight, forcing more "
            "than 6,000 people from their homes in the Lesk Valley and cutting the main road "
            "between Orrin and Dunmere, officials said on Friday.",
            "Water stood almost two metres above the seasonal average at the Dunmere gauge "
            "after three days of uninterrupted rain, the national hydrological service said. "
            "Army engineers were sandbagging the approaches to the Orrin water treatment "
            "plant, which supplies about 40,000 households.",
            "“The situation is serious but it is under control,” Interior Ministry spokesman "
            "Tariq Mansur told reporters in Velmar. “Nobody should try to drive through a "
            "flooded road. We would rather send a boat than a rescue team.” Mansur said no "
            "deaths had been reported, but two people were treated for hypothermia.",
            "Emergency shelters opened in school gymnasiums in Orrin, Kelby and Dunmere. The "
            "Red Lantern relief society said it had handed out 3,500 blankets by midnight and "
            "was appealing for dry food and baby formula.",
            "Farmers in the lower valley said the water arrived too fast to move livestock. "
            "“We got the cows up the ramp into the hay barn and that was all,” said Petra "
            "Halloway, who keeps a dairy herd near Kelby. “The fields are a lake.”",
            "Forecasters expect the rain to ease on Saturday but warned that the river would "
            "keep rising for another 24 to 36 hours as water from the upper catchment "
            "arrives. Rail services between Velmar and the valley are suspended until at "
            "least Sunday.",
            "The valley last flooded on this scale in 2009, when the Tamsel breached the old "
            "levee at Orrin. A replacement flood wall, approved in 2019, is only half built.",
        ),
        caption="Volunteers fill sandbags outside the Orrin water treatment plant.",
        credit="MPA/Karel Dusek",
    ),
    WireStory(
        story="bank-rate",
        slug="20261119-bank-of-kestria-rate",
        published="2026-11-19T13:05:00Z",
        dateline="VELMAR, Nov 19 (MPA) —",
        headline="Bank of Kestria raises key rate to 5.25% as services inflation lingers",
        author="Aurel Dimas",
        section="Business",
        paragraphs=(
            "The Bank of Kestria raised its main refinancing rate by a quarter point to 5.25 "
            "percent on Thursday, its third increase this year, saying price growth in "
            "services had proved more stubborn than it expected.",
            "Annual consumer inflation eased to 4.6 percent in October from 5.1 percent in "
            "September, but the bank said rents, insurance and restaurant prices were still "
            "climbing at rates incompatible with its 2 percent target.",
            "“We are not declaring victory on a single good month,” Governor Helena Strauss "
            "told a news conference. “Policy will stay tight for as long as it takes, and we "
            "are prepared to move again if the data require it.”",
            "Six of the seven members of the monetary council voted for the increase. One, "
            "deputy governor Milos Arden, voted to hold, arguing that earlier rises had not "
            "yet fully reached mortgage holders.",
            "The kestra strengthened 0.4 percent against the euro after the decision, and "
            "yields on two-year government bonds rose to their highest since 2011. "
            "Economists polled by MPA last week had been split almost evenly between a hold "
            "and a hike.",
            "The bank cut its growth forecast for next year to 0.9 percent from 1.3 percent "
            "and said it now expects inflation to return to target only in the second half "
            "of 2028.",
        ),
        caption="Governor Helena Strauss at the bank's news conference in Velmar.",
        credit="MPA/Ines Varga",
    ),
    WireStory(
        story="harwick-strike",
        slug="20261121-harwick-dock-strike",
        published="2026-11-21T08:10:00Z",
        dateline="HARWICK, Nov 21 (MPA) —",
        headline="Dockworkers strike halts container traffic at port of Harwick",
        author="Jonas Pell",
        section="Business",
        paragraphs=(
            "Dockworkers at the port of Harwick walked out at dawn on Saturday, halting "
            "container traffic at the country's second-largest port as a two-year dispute "
            "over pay and shift patterns came to a head.",
            "About 1,900 members of the Harbour and Transport Workers' Union stopped work at "
            "the North and Eastern container terminals. Seven ships were waiting at anchor by "
            "midday, according to the port authority's public vessel tracker.",
            "“We have been patient for two years, and patience has not paid a single bill,” "
            "union secretary Agnes Moravec said outside the North terminal gate.",
            "The terminal operator, Harwick Container Services, said it had offered a 7 "
            "percent rise over two years and called the walkout “disproportionate and "
            "damaging to every business that depends on this port.”",
            "The strike is set to last 48 hours. The union has warned of further stoppages in "
            "December if talks do not resume, which could disrupt deliveries ahead of the "
            "holiday season.",
            "Ferries and the bulk grain quay were operating normally, the port authority said.",
        ),
        caption="Idle cranes at the North container terminal in Harwick.",
        credit="MPA/Jonas Pell",
    ),
    WireStory(
        story="selune-reef",
        slug="20261119-selune-coral-reef",
        published="2026-11-19T16:30:00Z",
        dateline="PORT ALDANE, Nov 19 (MPA) —",
        headline="Scientists map 14-km cold-water coral reef off the Selune Bank",
        author="Nadia Ferrant",
        section="Science",
        paragraphs=(
            "Scientists aboard the research vessel Albatros have mapped a cold-water coral "
            "reef stretching for about 14 kilometres along the edge of the Selune Bank, the "
            "largest such structure ever recorded in Kestrian waters, the Institute of Marine "
            "Sciences said on Thursday.",
            "The reef lies between 280 and 420 metres below the surface, far beyond the reach "
            "of sunlight. It is built mainly by stony corals that feed on plankton carried by "
            "strong currents along the slope of the bank.",
            "“We expected patches. We found a city,” said chief scientist Ilan Roszak, who "
            "led the three-week survey with a remotely operated vehicle. Footage released by "
            "the institute shows dense thickets of white coral sheltering rockfish, crabs and "
            "large orange sponges.",
            "Parts of the reef bear the marks of bottom trawling, the team said, including "
            "scars where nets had been dragged across the coral. Some damaged sections "
            "appeared to be decades old and showed little sign of regrowth.",
            "The institute will ask the fisheries ministry to close the area to bottom-contact "
            "gear while it prepares a proposal for a marine protected area. Fishing "
            "associations in Port Aldane said they would study the maps before taking a "
            "position.",
        ),
        caption="A still from the survey vehicle shows white coral thickets on the bank.",
        credit="Institute of Marine Sciences via MPA",
    ),
    WireStory(
        story="merrow-tunnel",
        slug="20261120-merrow-rail-tunnel",
        published="2026-11-20T15:20:00Z",
        dateline="VELMAR, Nov 20 (MPA) —",
        headline="Parliament approves Merrow Pass rail tunnel after decade of debate",
        author="Aurel Dimas",
        section="Politics",
        paragraphs=(
            "Parliament on Friday approved a 4.1-billion-kestra rail tunnel under the Merrow "
            "Pass, ending more than a decade of argument over how to link the capital with "
            "the Lesk Valley and the western provinces.",
            "The bill passed by 118 votes to 74 after a nine-hour debate. It authorises a "
            "22-kilometre double-track tunnel and upgrades to the lines at both ends, cutting "
            "the journey between Velmar and Orrin from three hours and ten minutes to about "
            "95 minutes.",
            "Transport Minister Dorota Klimt called it “the most important piece of "
            "infrastructure this country will build in a generation” and said tendering "
            "would start in the spring, with construction expected to take eight years.",
            "Opposition deputies said the cost estimate was unrealistic. “Every tunnel on this "
            "continent has come in over budget, and this one has not even started,” said "
            "Viktor Hale of the Reform Alliance, whose amendment to cap spending was rejected.",
            "Environmental groups have challenged the route in court, arguing that spoil from "
            "the excavation would be dumped in the upper Tamsel valley. A ruling is expected "
            "early next year.",
            "Residents of the pass, where the road closes for several weeks most winters, "
            "welcomed the vote. Church bells rang in the village of Merrow shortly after the "
            "result was announced.",
        ),
        caption="The road over the Merrow Pass, closed by snow last January.",
        credit="MPA/Karel Dusek",
    ),
    WireStory(
        story="brennick-recount",
        slug="20261121-brennick-recount",
        published="2026-11-21T12:45:00Z",
        dateline="VELMAR, Nov 21 (MPA) —",
        headline="Court orders manual recount in Brennick mayoral race decided by 41 votes",
        author="Irena Vasko",
        section="Politics",
        paragraphs=(
            "The Supreme Administrative Court on Saturday ordered a full manual recount in "
            "the mayoral election in Brennick, where the incumbent won by just 41 votes out "
            "of more than 52,000 cast.",
            "The court found that ballots from three polling stations in the Saltmarsh "
            "district had been counted twice in the preliminary tally and later corrected by "
            "hand without the observers required by law being present.",
            "Mayor Edvard Lunn, who was declared the winner on Nov. 8, said he welcomed the "
            "ruling. “If a recount gives people confidence in the result, it is worth every "
            "hour,” he said in a statement.",
            "His challenger, Miriam Okafor of the Civic List, said the decision vindicated her "
            "campaign's complaint. Under the electoral code the recount must be completed "
            "within 14 days.",
        ),
        caption="Ballot boxes sealed at Brennick city hall.",
        credit="MPA/Ines Varga",
    ),
)


COPIES: tuple[Copy, ...] = (
    # -- tamsel-floods: three outlets; the Valley Herald spells the spokesman "Mansour"
    Copy(
        site="valleyherald",
        story="tamsel-floods",
        slug="2026/11/20/tamsel-floods-6000-evacuated",
        published="2026-11-20T09:15:00Z",
        headline="Tamsel floods: 6,000 evacuated as river breaks its banks",
        author="Dale Whitcombe",
        dateline="ORRIN —",
        keep=6,
        editor_note="The Herald's flood updates, including a list of open shelters and road "
        "closures, are posted at the top of our home page and will be updated through the "
        "weekend.",
        replace=(("Mansur", "Mansour"),),
        section="local",
    ),
    Copy(
        site="northstar",
        story="tamsel-floods",
        slug="2026/11/20/thousands-flee-rising-tamsel",
        published="2026-11-20T08:02:00Z",
        headline="Thousands flee rising Tamsel as Lesk Valley floods",
        author="Ledger staff",
        dateline="LESK VALLEY —",
        keep=5,
        editor_note="Ledger reporters are on their way to the valley and this story will be "
        "updated throughout the day.",
        section="national",
    ),
    Copy(
        site="dailyharbor",
        story="tamsel-floods",
        slug="2026/11/20/lesk-valley-floods-cut-main-road",
        published="2026-11-20T10:30:00Z",
        headline="Lesk Valley floods cut main road as 6,000 leave their homes",
        author="Daily Harbor Wire Desk",
        dateline="LESK VALLEY (MPA) —",
        keep=4,
        editor_note="Harwick volunteers with the Red Lantern society are collecting donations "
        "at the harbour master's office on Quay Street until Sunday evening.",
        reporting="With reporting by Meridian Press Agency and Daily Harbor staff.",
    ),
    # -- bank-rate
    Copy(
        site="northstar",
        story="bank-rate",
        slug="2026/11/19/bank-of-kestria-lifts-rates-again",
        published="2026-11-19T14:10:00Z",
        headline="Bank of Kestria lifts rates again, to 5.25%",
        author="Ledger staff",
        dateline="",
        keep=5,
        editor_note="For what the decision means for variable-rate mortgages, see the "
        "Ledger's explainer on our Money page.",
        section="business",
    ),
    Copy(
        site="dailyharbor",
        story="bank-rate",
        slug="2026/11/19/rate-rise-to-hit-harwick-borrowers",
        published="2026-11-19T15:45:00Z",
        headline="Rate rise to hit Harwick borrowers as central bank tightens again",
        author="Daily Harbor Wire Desk",
        dateline="VELMAR —",
        keep=4,
        editor_note="Harwick Savings Bank said on Thursday afternoon that its variable mortgage "
        "rate would rise from the first of December.",
    ),
    # -- harwick-strike (the Daily Harbor writes its own piece instead, see ORIGINALS)
    Copy(
        site="northstar",
        story="harwick-strike",
        slug="2026/11/21/harwick-port-at-standstill",
        published="2026-11-21T09:00:00Z",
        headline="Harwick port at a standstill as dockers strike",
        author="Ledger staff",
        dateline="HARWICK —",
        keep=5,
        editor_note="Harwick handles roughly a third of Kestria's container imports, according "
        "to figures from the transport ministry.",
        section="business",
    ),
    Copy(
        site="valleyherald",
        story="harwick-strike",
        slug="2026/11/21/port-strike-threatens-holiday-deliveries",
        published="2026-11-21T11:20:00Z",
        headline="Port strike threatens holiday deliveries",
        author="Herald wire services",
        dateline="HARWICK —",
        keep=4,
        editor_note="Several Lesk Valley retailers told the Herald they had moved orders to "
        "rail freight to avoid delays.",
        reporting="With reporting by Meridian Press Agency; additional reporting by Dale "
        "Whitcombe.",
        section="business",
    ),
    # -- selune-reef
    Copy(
        site="dailyharbor",
        story="selune-reef",
        slug="2026/11/19/deep-sea-coral-city-off-selune-bank",
        published="2026-11-19T18:05:00Z",
        headline="Deep-sea coral 'city' found off the Selune Bank",
        author="Daily Harbor Wire Desk",
        dateline="PORT ALDANE —",
        keep=4,
        editor_note="Several Harwick trawler crews fish the Selune grounds in winter; the Daily "
        "Harbor has asked the Harwick Fishermen's Co-operative for comment.",
    ),
    Copy(
        site="valleyherald",
        story="selune-reef",
        slug="2026/11/19/scientists-find-vast-coral-reef",
        published="2026-11-19T19:40:00Z",
        headline="Scientists find vast coral reef in deep water",
        author="Herald wire services",
        dateline="",
        keep=3,
        editor_note="Ilan Roszak studied biology at Lesk Valley College before joining the "
        "institute in 2012.",
        section="world",
    ),
    # -- merrow-tunnel: three outlets
    Copy(
        site="northstar",
        story="merrow-tunnel",
        slug="2026/11/20/merrow-tunnel-approved",
        published="2026-11-20T16:05:00Z",
        headline="Merrow tunnel approved: what happens next",
        author="Ledger staff",
        dateline="VELMAR —",
        keep=6,
        editor_note="The Ledger will publish a full breakdown of the tunnel's financing in "
        "Saturday's edition.",
        section="politics",
    ),
    Copy(
        site="valleyherald",
        story="merrow-tunnel",
        slug="2026/11/20/valley-cheers-merrow-rail-tunnel",
        published="2026-11-20T17:30:00Z",
        headline="Valley cheers as Parliament backs Merrow rail tunnel",
        author="Herald wire services",
        dateline="VELMAR —",
        keep=5,
        editor_note="For Lesk Valley commuters, the tunnel would put Velmar within an hour and "
        "a half of Orrin station.",
        section="world",
    ),
    Copy(
        site="dailyharbor",
        story="merrow-tunnel",
        slug="2026/11/20/merrow-pass-tunnel-wins-approval",
        published="2026-11-20T16:40:00Z",
        headline="Merrow Pass tunnel wins approval in Parliament",
        author="Daily Harbor Wire Desk",
        dateline="",
        keep=4,
        editor_note="Harwick's port authority has long argued for a freight spur from the new "
        "line to the Eastern terminal.",
    ),
    # -- brennick-recount
    Copy(
        site="northstar",
        story="brennick-recount",
        slug="2026/11/21/court-orders-brennick-recount",
        published="2026-11-21T13:30:00Z",
        headline="Court orders Brennick recount after 41-vote mayoral margin",
        author="Ledger staff",
        dateline="VELMAR —",
        keep=4,
        editor_note="Brennick's election commission said the recount would take place in the "
        "city hall assembly room and be open to accredited observers.",
        section="politics",
    ),
    Copy(
        site="dailyharbor",
        story="brennick-recount",
        slug="2026/11/21/brennick-vote-to-be-recounted",
        published="2026-11-21T14:15:00Z",
        headline="Brennick mayoral vote to be recounted by hand",
        author="Daily Harbor Wire Desk",
        dateline="VELMAR (MPA) —",
        keep=4,
        editor_note="Brennick lies 60 kilometres up the coast from Harwick; its port shares a "
        "pilotage service with ours.",
    ),
)


ORIGINALS: tuple[Original, ...] = (
    Original(
        site="dailyharbor",
        story="picket-line",
        slug="2026/11/21/on-the-picket-line-at-north-gate",
        published="2026-11-21T16:00:00Z",
        headline="On the picket line at North gate, dockers dig in for the long haul",
        author="Maeve Cardle",
        section="port",
        paragraphs=(
            "The braziers were lit before six. By the time the first shift should have been "
            "clocking on, some three hundred dockers in orange jackets had gathered at the "
            "North gate on Ferrier Road, stamping their feet against the cold and passing "
            "round flasks of tea.",
            "For many of them, Saturday's walkout is the first strike of their working lives. "
            "Ruben Alcott, 27, a crane driver who joined the port five years ago, said his "
            "rent has gone up twice since the last pay deal. “I love this job,” he said. "
            "“I just can't afford it any more.”",
            "Agnes Moravec, the union secretary, arrived at half past seven to cheers. "
            "Standing on a pallet with a megaphone, she repeated the line her members have "
            "heard all autumn: “We have been patient for two years, and patience has not paid "
            "a single bill.”",
            "Not everyone on Ferrier Road was sympathetic. Lorna Pike, who runs a café "
            "opposite the gate, said trade had halved since the overtime ban began in "
            "October. “They have a point,” she said, “but so do I, and nobody is striking "
            "for me.”",
            "Talks at the Harbour Board offices are due to resume on Tuesday. Until then, the "
            "dockers say, the braziers will stay lit.",
        ),
        caption="Dockers warm their hands at a brazier outside the North gate.",
        credit="Daily Harbor/Maeve Cardle",
        notes=(
            "Same event as the MPA strike story and shares one quote with it, "
            "but a distinct write-up: must NOT be folded into harwick-strike.",
        ),
    ),
    Original(
        site="dailyharbor",
        story="gull-island-ferry",
        slug="2026/11/19/gull-island-ferry-winter-sailings",
        published="2026-11-19T10:00:00Z",
        headline="Gull Island ferry to keep two daily sailings all winter",
        author="Tomas Rennick",
        section="local",
        paragraphs=(
            "The ferry to Gull Island will keep running twice a day through the winter for "
            "the first time in six years, after the Harwick district council agreed on "
            "Wednesday to cover the operator's fuel costs until March.",
            "Islanders had warned that cutting the service to a single sailing, as happened "
            "every winter since 2020, left the school's teachers and the island's only nurse "
            "stranded on the mainland for much of the week.",
            "“It sounds like a small thing, a boat at half past four,” said Ada Quill, who "
            "chairs the Gull Island residents' association. “For us it is the difference "
            "between a community and a summer resort.”",
            "The subsidy, worth about 180,000 kestras, will be reviewed in February. The "
            "operator, Saltwind Ferries, said the 07:15 and 16:30 departures from Pier 3 "
            "would continue unchanged.",
        ),
        caption="The Saltwind ferry leaving Pier 3 for Gull Island.",
        credit="Daily Harbor/Tomas Rennick",
    ),
    Original(
        site="northstar",
        story="halden-bookshop",
        slug="2026/11/20/halden-and-sons-bookshop-to-close",
        published="2026-11-20T18:30:00Z",
        headline="Velmar's oldest bookshop, Halden & Sons, to close after 112 years",
        author="Clara Vesnik",
        section="culture",
        paragraphs=(
            "Halden & Sons, the narrow bookshop on Tanners Lane that has sold books to four "
            "generations of Velmar readers, will close at the end of January, its owners "
            "said on Friday.",
            "The shop opened in 1914 as a stationer's and took on its first shelves of novels "
            "after the war. Its owner, Benedikt Halden, is the founder's great-grandson. He "
            "said rising rent and a slow decline in passing trade had made the business "
            "impossible to sustain.",
            "“We have been losing a little every year for ten years,” Halden said, standing "
            "among crates of second-hand poetry. “This year we lost a lot.”",
            "Regulars began leaving notes on the door within hours of the announcement. One, "
            "written in pencil on the back of a receipt, read simply: “Where will I go on "
            "Saturdays?”",
            "The city's culture office said it had offered to help the shop find a smaller "
            "space, but Halden said he had decided to retire. The closing sale begins on "
            "Dec. 1.",
        ),
        caption="Benedikt Halden behind the counter of the Tanners Lane shop.",
        credit="Northstar Ledger/Oskar Brandt",
    ),
    Original(
        site="northstar",
        story="snowplow-payments",
        slug="2026/11/21/city-paid-twice-for-snowplows",
        published="2026-11-21T05:00:00Z",
        headline="City paid twice for the same six snowplows, Ledger review finds",
        author="Piotr Adamek and Clara Vesnik",
        section="investigations",
        paragraphs=(
            "Velmar's public works department paid two separate invoices for the same six "
            "snowplows in 2025, a review of procurement records by the Northstar Ledger has "
            "found, costing the city roughly 1.3 million kestras that it has not recovered.",
            "The vehicles were ordered in March 2025 from a Brennick dealership. Records "
            "obtained by the Ledger under the freedom of information law show one payment in "
            "May, against the dealer's invoice, and a second in August, against a purchase "
            "order that was entered again after the department moved to a new accounting "
            "system.",
            "The department confirmed the double payment when contacted by the Ledger on "
            "Tuesday. A spokeswoman, Irma Soltan, said the error had been “identified "
            "internally” in October and that the city was “in discussions with the supplier "
            "about reimbursement.”",
            "The dealership, Nordvik Commercial Vehicles, said it had received only one "
            "payment. Its managing director said the company would cooperate with any audit "
            "and suggested the second transfer might have gone to a different account.",
            "Council member Jana Hollis, who sits on the audit committee, said she would ask "
            "for a full review of payments made during the accounting migration. “If it "
            "happened once, we need to know it has not happened fifty times,” she said.",
            "The six plows are in service and were used during last week's first snowfall.",
        ),
        caption="City snowplows parked at the public works depot on Mill Road.",
        credit="Northstar Ledger/Oskar Brandt",
    ),
    Original(
        site="northstar",
        story="northern-voices-choir",
        slug="2026/11/22/khor-severnye-golosa",
        published="2026-11-22T09:00:00Z",
        headline="В Велмаре прошёл первый концерт хора «Северные голоса»",
        author="Анна Волкова",
        section="community",
        paragraphs=(
            "В субботу вечером в Доме культуры на улице Кожевников прошёл первый концерт хора "
            "«Северные голоса», который объединяет жителей Велмара, говорящих по-русски. Зал "
            "на двести мест был заполнен, ещё несколько десятков слушателей стояли в проходах.",
            "Хор был создан весной по инициативе учительницы музыки Ларисы Гордеевой. Сейчас в "
            "нём поют тридцать восемь человек в возрасте от четырнадцати до восьмидесяти "
            "одного года. Репетиции проходят по вторникам в библиотеке района Старый порт.",
            "«Многие из нас приехали сюда в разные годы и долго не знали друг друга, — сказала "
            "Гордеева после концерта. — Песня оказалась самым простым способом "
            "познакомиться».",
            "В программу вошли народные песни, романсы и две песни на кестрийском языке, "
            "которые хор исполнил вместе с детским ансамблем городской музыкальной школы. "
            "Следующий концерт запланирован на конец января.",
        ),
        caption="Хор «Северные голоса» на сцене Дома культуры.",
        credit="Northstar Ledger/Анна Волкова",
        lang="ru",
        charset="windows-1251",
        notes=("Russian-language page served as windows-1251 (declared in a meta tag).",),
    ),
    Original(
        site="valleyherald",
        story="pena-bakery-prize",
        slug="2026/11/19/orrin-cafe-owner-wins-baking-prize",
        published="2026-11-19T14:00:00Z",
        headline="Orrin café owner José Peña takes regional baking prize",
        author="Marta Kühne",
        section="local",
        paragraphs=(
            "José Peña did not expect to win anything when he entered his rye-and-caraway "
            "loaf in the Lesk Valley baking fair. On Saturday the 52-year-old owner of Café "
            "Peña on Orrin's market square took home the fair's top prize, the Golden Sheaf.",
            "Peña, who moved to the valley from Valencia in 1998, bakes every loaf in a "
            "wood-fired oven he built himself behind the café. The judges, led by pastry chef "
            'Françoise Aubel, praised the bread\'s "crackling crust and honest crumb".',
            '"My grandmother would laugh at me," Peña said. "She baked this bread every day '
            'of her life and nobody ever gave her a medal."',
            "The café, known locally for its crème brûlée and strong coffee, will offer a "
            "free slice of the winning loaf to every customer this weekend. Second place went "
            "to the Müller family bakery in Kelby.",
        ),
        caption="José Peña with the Golden Sheaf at his café in Orrin.",
        credit="Herald photo/Marta Kühne",
        charset="iso-8859-1",
        notes=("Served as ISO-8859-1 (declared with http-equiv), accented names.",),
    ),
    Original(
        site="valleyherald",
        story="orrin-robotics",
        slug="2026/11/21/orrin-high-robotics-team-national-final",
        published="2026-11-21T15:30:00Z",
        headline="Orrin High robotics team heads to national final",
        author="Dale Whitcombe",
        section="local",
        paragraphs=(
            "A team of nine students from Orrin High School will compete in the national "
            "robotics final in Velmar next month after their machine, a tracked robot "
            "nicknamed Mudlark, won the western regional round in Port Aldane on Saturday.",
            "The robot had to sort coloured blocks, climb a ramp and carry a tennis ball "
            "through a narrow gate, all in under three minutes. Mudlark finished the course "
            "in two minutes and eleven seconds, eight seconds ahead of the runner-up from "
            "Brennick.",
            '"The ramp was the hardest part," said team captain Lili Ostrander, 17. "We '
            "rebuilt the tracks three times after the floods soaked our workshop in the "
            'spring."',
            "The team is raising money to cover travel to the final. The school's parent "
            "association will hold a bake sale at the Orrin market on Saturday morning.",
        ),
        caption="Mudlark climbs the ramp during the regional round in Port Aldane.",
        credit="Herald photo/Dale Whitcombe",
    ),
)
