#!/usr/bin/env python3
"""Writes the sample data shipped in Config/, deterministically (Python 3 stdlib only).

    python3 scripts/make-sample-data.py                  # writes Config/*.csv and prints a summary
    python3 scripts/make-sample-data.py --out /tmp/x     # writes them into /tmp/x instead
    python3 scripts/make-sample-data.py --help           # says so, and writes nothing

The default run reproduces the committed files byte for byte: the generator reads no clock and no
environment (a fixed seed, fixed dates), and what was added to the files by hand after they were
first generated (the schools' TelephoneNum, the serial-perpetrator rows) is written here too.

Every name, address and id is fictional. The demo's as-of is 2026-11-20T08:00:00Z (a Friday); every
incident is reported between 2025-11-25 and 2026-11-19, so all sit inside a 365-day window.

Files:
  Config/schools.csv            GIAS-style extract: Windows-1252, CRLF (as GIAS publishes it)
  Config/key-adults.csv         UTF-8: one designated safeguarding lead per school, except 120599
  Config/sample-incidents.csv   SPEC section 2 CSV: UTF-8, CRLF, RFC 4180 quoting
  Config/sample-decisions.csv   UTF-8: decisions the demo replays with `encompass decide`

The cases the demo shows, by child id (incident ids are numbered by date, PPN-YYYY-NNNN, and are
printed by this script against each case):

  Inspection pattern: many incidents in a few weeks, every one standard with 0-5 "yes" answers
  (-> potential-escalation + cumulative-score, level high or medium though no incident is):
    C-1001 Mia Thompson, C-1002 Leo Thompson (siblings, 120501)  5 incidents, 2026-10-06..2026-11-12
    C-1003 Zoë Kowalska (120504)                                 4 incidents, 2026-09-01..2026-09-19
    C-1004 Łukasz Nowak (119602)                                 6 incidents, 2026-07-20..2026-08-28 (BST)
    C-1005 Aoife Byrne (119603, key adult on HTTPS)              3 incidents, 2026-11-03..2026-11-17
  Siblings on the same incident rows:
    C-1001 + C-1002 (above); C-1011 Siobhán, C-1012 Niamh, C-1013 Oisín Murphy (119601, 119601, 119603);
    C-1041 + C-1042 Hughes (119604); and many filler households with 2-3 children
  One child, two victims (moved household): C-1021 Chloé Martin (120503): victim V-1021 in February
    with half-brother C-1022 Reuben Green, then victim V-1023 (her father's new partner) in July
  Repeat MARAC: C-1031 Freya Walker (139900): high incident 2026-04-10, MARAC referral recorded
    2026-04-16 (sample-decisions.csv), new standard incident 2026-07-02 (-> repeat-marac)
  DASH 15 "yes" graded medium by the officer (-> effective high, grade-below-checklist): C-1041, C-1042
  Supervisor regrades: up, standard -> medium: C-1051; down, medium -> standard: C-1052;
    down, high -> medium with 15 "yes" (the checklist floor keeps it high): C-1053
  Risk tools: DARA medium, empty yes-count: C-1061 (and C-1011..C-1013, and ~10% of the filler);
    DASH24 (partner agency, 11 of 24): C-1062; NONE: one filler incident
  No school known: C-1071 (and a few filler children)
  Sixth form college 120599, which has no key adult (-> unmatched list): C-1081, C-1082
  Independent school 139900 (own term calendar): C-1031, C-1091
  A declined MARAC decision with a reason: C-1003 (sample-decisions.csv)
  child_voice with a comma (C-1001), a quote (C-1003), a line break (C-1004), both (C-1005)
  Incidents on 2026-11-18/19 evenings, alerts due 09:00 on Friday 2026-11-20: C-1005 ... C-1091, filler
  Serial perpetrator across households: P-9001 in PPN-2026-9001 (C-3101, 120501) and PPN-2026-9002
    (C-3102, 120502), fixed rows written last
  Filler: C-2001 upwards, ~120 households, most seen once, some twice, never three times;
  a few incidents with no child at all.
"""

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "Config"  # where the files are written: --out
UTC = dt.timezone.utc
FIRST_DAY = dt.date(2025, 11, 25)
LAST_DAY = dt.date(2026, 11, 19)

rng = random.Random(20261120)

# ---------------------------------------------------------------- schools and key adults

# urn, LA code, name, type code, type, type group, phase, low age, high age, street, town, postcode
SCHOOLS = [
    ("120501", "925", "Boston Pioneers Primary Academy", "34", "Academy converter", "Academies",
     "Primary", 4, 11, "Fenside Lane", "Boston", "PE21 8QX"),
    ("120502", "925", "Skegness Seaside Infant School", "01", "Community school",
     "Local authority maintained schools", "Primary", 4, 7, "Marine Walk", "Skegness", "PE25 3NH"),
    ("120503", "925", "Lincoln St Giles Primary School", "01", "Community school",
     "Local authority maintained schools", "Primary", 4, 11, "Lamb Gardens", "Lincoln", "LN2 4EW"),
    ("120504", "925", "Gainsborough Queen Elizabeth's High School", "34", "Academy converter",
     "Academies", "Secondary", 11, 16, "Morton Terrace", "Gainsborough", "DN21 2ST"),
    ("139900", "925", "Lincoln Minster School", "11", "Other independent school", "Independent schools",
     "All-through", 3, 18, "Upper Lindum Street", "Lincoln", "LN2 5RW"),
    ("120599", "925", "Grantham Sixth Form College", "18", "Further education", "Colleges",
     "16 plus", 16, 19, "Stonebridge Road", "Grantham", "NG31 9AP"),
    ("119601", "888", "Preston Ribbleton Hall Primary School", "01", "Community school",
     "Local authority maintained schools", "Primary", 4, 11, "Ribbleton Hall Drive", "Preston", "PR2 6EE"),
    ("119602", "888", "St Thérèse's Catholic Primary School", "02", "Voluntary aided school",
     "Local authority maintained schools", "Primary", 4, 11, "Tag Lane", "Preston", "PR2 3TX"),
    ("119603", "888", "Lancaster Morecambe Bay Academy", "28", "Academy sponsor led", "Academies",
     "Secondary", 11, 18, "Dallam Avenue", "Morecambe", "LA4 5BG"),
    ("119604", "888", "Burnley Brunshaw Primary School", "01", "Community school",
     "Local authority maintained schools", "Primary", 4, 11, "Brunshaw Road", "Burnley", "BB10 4PQ"),
]
LA_NAME = {"925": "Lincolnshire", "888": "Lancashire"}

GIAS_HEADER = [
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
    "TypeOfEstablishment (code)", "TypeOfEstablishment (name)", "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)", "EstablishmentStatus (name)", "PhaseOfEducation (name)",
    "StatutoryLowAge", "StatutoryHighAge", "Street", "Town", "Postcode", "TelephoneNum",
]


def telephone(i):
    """The number the hub rings about a school's alert (the board's phone list): Ofcom's range kept
    for drama, 01632 960000-960999, so no real school is ever rung from the demo."""
    return f"01632 {960100 + i}"

# urn -> (name, slug for the email domain); 120599 deliberately has none.
KEY_ADULTS = {
    "120501": ("Hannah Cartwright", "bostonpioneers"),
    "120502": ("Gareth Pollard", "skegnessseaside"),
    "120503": ("Priya Mistry", "stgiles-lincoln"),
    "120504": ("Tomasz Wiśniewski", "qehs-gainsborough"),
    "139900": ("Eleanor Fairbrother", "lincolnminster"),
    "119601": ("Joanne Ashworth", "ribbletonhall"),
    "119602": ("Siobhán Gallagher", "sttherese-preston"),
    "119603": ("Marcus Okonjo", "morecambebay"),
    "119604": ("Rachel Entwistle", "brunshaw"),
}
HTTPS_ENDPOINTS = {"119603": "https://127.0.0.1:8443/encompass/alerts"}


def write_schools():
    path = CONFIG / "schools.csv"
    with open(path, "w", encoding="cp1252", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(GIAS_HEADER)
        for i, (urn, la, name, tcode, tname, group, phase, low, high, street, town, postcode) in enumerate(SCHOOLS):
            w.writerow([urn, la, LA_NAME[la], str(2000 + 17 * i + 3), name, tcode, tname, group,
                        "1", "Open", phase, low, high, street, town, postcode, telephone(i)])


def write_key_adults():
    with open(CONFIG / "key-adults.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["urn", "name", "email", "channel", "endpoint"])
        for urn, (name, slug) in KEY_ADULTS.items():
            endpoint = HTTPS_ENDPOINTS.get(urn, "")
            w.writerow([urn, name, f"dsl@{slug}.school.example", "https" if endpoint else "smtp", endpoint])


# ---------------------------------------------------------------- time

def last_sunday(year, month):
    d = dt.date(year, month, 31)
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


def london_offset(instant):
    """Europe/London: BST from 01:00 UTC on the last Sunday of March to the last Sunday of October."""
    y = instant.year
    start = dt.datetime.combine(last_sunday(y, 3), dt.time(1), UTC)
    end = dt.datetime.combine(last_sunday(y, 10), dt.time(1), UTC)
    return dt.timedelta(hours=1) if start <= instant < end else dt.timedelta(0)


def london_to_utc(day, hour, minute):
    """The instant of a London wall-clock time (never on a clock-change night's small hours here)."""
    naive = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return naive - london_offset(naive - dt.timedelta(hours=1))


def iso(instant):
    """Z or a London offset, as forces export both; BST times mostly carry +01:00."""
    offset = london_offset(instant)
    use_offset = rng.random() < (0.7 if offset else 0.2)
    if not use_offset:
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    local = instant + offset
    return local.strftime("%Y-%m-%dT%H:%M:%S") + ("+01:00" if offset else "+00:00")


def age_on(dob, day):
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def dob_for(age, on):
    """A date of birth giving `age` on `on` (and a few months either side)."""
    birthday = dt.date(on.year - age, 1, 1) + dt.timedelta(days=rng.randrange(365))
    return birthday if age_on(birthday, on) == age else birthday - dt.timedelta(days=365)


# ---------------------------------------------------------------- people

class Child:
    def __init__(self, cid, given, family, dob, urn):
        self.cid, self.given, self.family, self.dob, self.urn = cid, given, family, dob, urn


class Ids:
    child = 2001
    person = 1001


def person():
    pid = Ids.person
    Ids.person += 1
    return pid


INCIDENTS = []  # dicts; numbered by date at the end
TAGS = {}  # case name -> list of incident dicts


def incident(when, kids, grade="standard", yes=None, tool="DASH", supervisor="", victim=None,
             perpetrator=None, bwv=None, tag=None):
    """kids: [(child, present, spoken_to, voice)]. when: a UTC datetime."""
    if yes is None and tool in ("DASH", "DASH24"):
        yes = {"standard": rng.randint(0, 6), "medium": rng.randint(10, 13), "high": rng.randint(14, 19)}[grade]
    inc = {
        "when": when, "tool": tool, "grade": grade, "yes": "" if yes is None else str(yes),
        "supervisor": supervisor, "victim": f"V-{victim}", "perpetrator": f"P-{perpetrator}" if perpetrator else "",
        "kids": kids, "bwv": bwv if bwv is not None else rng.choice("YYYYN"),
    }
    INCIDENTS.append(inc)
    if tag:
        TAGS.setdefault(tag, []).append(inc)
    return inc


def at(day, hour, minute=None):
    d = dt.date.fromisoformat(day)
    return london_to_utc(d, hour, rng.randrange(60) if minute is None else minute)


def kid(cid, given, family, dob, urn):
    return Child(cid, given, family, dt.date.fromisoformat(dob), urn)


# ---------------------------------------------------------------- the cases the demo shows

def special_cases():
    # Inspection pattern: many standard incidents in a few weeks.
    mia = kid("C-1001", "Mia", "Thompson", "2017-03-14", "120501")
    leo = kid("C-1002", "Leo", "Thompson", "2020-01-22", "120501")
    v, p = person(), person()
    voices = ["Dad threw the remote, it hit the wall.", "", "I took Leo upstairs.", "", ""]
    for day, hour, yes, voice in zip(["2026-10-06", "2026-10-13", "2026-10-24", "2026-11-02", "2026-11-12"],
                                     [21, 19, 23, 20, 22], [3, 2, 4, 1, 3], voices):
        incident(at(day, hour), [(mia, "Y", "Y" if voice else "N", voice), (leo, "Y", "N", "")],
                 yes=yes, victim=v, perpetrator=p, supervisor=rng.choice(["", "standard"]), tag="pattern C-1001/C-1002")

    zoe = kid("C-1003", "Zoë", "Kowalska", "2013-06-30", "120504")
    v, p = person(), person()
    for day, hour, yes, voice in [("2026-09-01", 22, 2, 'Mum said "don\'t tell school" but I want to.'),
                                  ("2026-09-06", 18, 5, ""), ("2026-09-12", 23, 3, ""), ("2026-09-19", 21, 4, "")]:
        incident(at(day, hour), [(zoe, "Y", "Y" if voice else "N", voice)], yes=yes, victim=v, perpetrator=p,
                 tag="pattern C-1003")

    lukasz = kid("C-1004", "Łukasz", "Nowak", "2018-11-05", "119602")
    v, p = person(), person()
    for day, hour, yes, present in [("2026-07-20", 20, 1, "Y"), ("2026-07-27", 22, 2, "N"), ("2026-08-04", 19, 0, "Y"),
                                    ("2026-08-12", 23, 3, "Y"), ("2026-08-21", 21, 2, "N"), ("2026-08-28", 22, 4, "Y")]:
        voice = "I was in my room.\nI heard shouting and the door slam." if day == "2026-08-12" else ""
        incident(at(day, hour), [(lukasz, present, "Y" if voice else "N", voice)], yes=yes, victim=v,
                 perpetrator=p, tag="pattern C-1004")

    aoife = kid("C-1005", "Aoife", "Byrne", "2012-02-17", "119603")
    v, p = person(), person()
    for day, hour, yes, voice in [("2026-11-03", 22, 2, ""), ("2026-11-10", 20, 3, ""),
                                  ("2026-11-17", 21, 5, 'He said I\'m "too much like her", then he left.')]:
        incident(at(day, hour), [(aoife, "Y", "Y" if voice else "N", voice)], yes=yes, victim=v, perpetrator=p,
                 tag="pattern C-1005")

    # Three siblings on the same rows, one DARA incident with no yes-count.
    siobhan = kid("C-1011", "Siobhán", "Murphy", "2016-09-09", "119601")
    niamh = kid("C-1012", "Niamh", "Murphy", "2018-04-27", "119601")
    oisin = kid("C-1013", "Oisín", "Murphy", "2013-12-02", "119603")
    v, p = person(), person()
    incident(at("2026-03-08", 20), [(siobhan, "Y", "Y", "I looked after Niamh."), (niamh, "Y", "N", ""),
                                    (oisin, "N", "N", "")], grade="medium", tool="DARA", victim=v,
             perpetrator=p, tag="siblings C-1011..C-1013 (DARA medium)")
    incident(at("2026-06-14", 21), [(siobhan, "Y", "N", ""), (niamh, "Y", "N", ""), (oisin, "Y", "Y", "")],
             yes=4, victim=v, perpetrator=p, tag="siblings C-1011..C-1013")

    # One child, two victims: she moves to her father's.
    chloe = kid("C-1021", "Chloé", "Martin", "2015-10-03", "120503")
    reuben = kid("C-1022", "Reuben", "Green", "2019-12-12", "120503")
    mother, partner = person(), person()
    incident(at("2026-02-14", 22), [(chloe, "Y", "Y", "I want to live with Dad."), (reuben, "Y", "N", "")],
             yes=6, victim=mother, perpetrator=partner, tag="two victims C-1021 (first)")
    new_partner, father = person(), person()
    incident(at("2026-07-25", 23), [(chloe, "Y", "N", "")], yes=7, victim=new_partner, perpetrator=father,
             tag="two victims C-1021 (second)")

    # Repeat MARAC: high, referred on 2026-04-16 (sample-decisions.csv), then a new incident.
    freya = kid("C-1031", "Freya", "Walker", "2010-05-21", "139900")
    v, p = person(), person()
    incident(at("2026-04-10", 23), [(freya, "Y", "Y", "")], grade="high", yes=16, victim=v, perpetrator=p,
             supervisor="high", tag="repeat-marac C-1031 (before R)")
    incident(at("2026-07-02", 21), [(freya, "N", "N", "")], yes=5, victim=v, perpetrator=p,
             tag="repeat-marac C-1031 (after R)")

    # 15 yes answers graded medium by the officer: the checklist floor makes it high.
    hughes1 = kid("C-1041", "Harry", "Hughes", "2016-01-30", "119604")
    hughes2 = kid("C-1042", "Ivy", "Hughes", "2019-07-08", "119604")
    incident(at("2026-10-17", 22), [(hughes1, "Y", "N", ""), (hughes2, "Y", "N", "")], grade="medium", yes=15,
             victim=person(), perpetrator=person(), tag="DASH 15 graded medium C-1041/C-1042")

    # Supervisor regrades.
    incident(at("2026-05-09", 20), [(kid("C-1051", "Kacper", "Wójcik", "2019-08-16", "120502"), "Y", "N", "")],
             grade="standard", yes=8, supervisor="medium", victim=person(), perpetrator=person(),
             tag="regrade up C-1051")
    incident(at("2026-01-23", 19), [(kid("C-1052", "Ruby", "Ellis", "2019-11-11", "120502"), "N", "N", "")],
             grade="medium", yes=7, supervisor="standard", victim=person(), perpetrator=person(),
             tag="regrade down C-1052")
    incident(at("2026-09-26", 22), [(kid("C-1053", "Theo", "Lewis", "2012-04-04", "120504"), "Y", "Y", "")],
             grade="high", yes=15, supervisor="medium", victim=person(), perpetrator=person(),
             tag="regrade down, floored high C-1053")

    # Risk tools.
    incident(at("2026-06-27", 22), [(kid("C-1061", "Anaïs", "Dubois", "2015-02-19", "119601"), "Y", "N", "")],
             grade="medium", tool="DARA", victim=person(), perpetrator=person(), tag="DARA medium C-1061")
    incident(at("2026-03-19", 18), [(kid("C-1062", "Kofi", "Mensah", "2011-09-25", "119603"), "N", "N", "")],
             grade="medium", tool="DASH24", yes=11, victim=person(), perpetrator=person(), tag="DASH24 C-1062")

    # No school known.
    incident(at("2026-11-18", 21), [(kid("C-1071", "Noah", "Shaw", "2014-03-03", ""), "Y", "N", "")],
             yes=3, victim=person(), perpetrator=person(), tag="no school C-1071")

    # Sixth form college with no key adult.
    incident(at("2026-11-19", 20), [(kid("C-1081", "Ella", "Roberts", "2009-10-14", "120599"), "Y", "Y", "")],
             yes=5, victim=person(), perpetrator=person(), tag="no key adult C-1081")
    incident(at("2026-02-27", 22), [(kid("C-1082", "Yusuf", "Ahmed", "2009-01-06", "120599"), "N", "N", "")],
             grade="medium", yes=11, victim=person(), perpetrator=person(), tag="no key adult C-1082")

    # Independent school with its own calendar.
    incident(at("2026-11-18", 19), [(kid("C-1091", "Grace", "Fairley", "2012-12-01", "139900"), "Y", "N", "")],
             yes=2, victim=person(), perpetrator=None, tag="independent school C-1091")


# ---------------------------------------------------------------- filler: most households seen once

GIVEN = ["Amelia", "Oliver", "Isla", "Jack", "Ava", "Harry", "Freya", "George", "Lily", "Alfie", "Evie",
         "Arthur", "Sophia", "Muhammad", "Aisha", "Poppy", "Jakub", "Maja", "Amara", "Chidi", "Maryam",
         "Ibrahim", "Ellie", "Daniel", "Tyler", "Kai", "Logan", "Sienna", "Willow", "Mason", "Harper",
         "Renée", "Joël", "Zuzanna", "Bartłomiej", "Priya", "Arjun", "Ayesha", "Charlie", "Olivia",
         "Thomas", "Jessica", "Ethan", "Layla", "Finley", "Matilda", "Zoë", "Chloé", "Aoife", "Seren"]
FAMILY = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
          "Wright", "Evans", "Walker", "White", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel",
          "Khan", "Hussain", "Nowak", "O'Brien", "Kelly", "Nguyen", "Okafor", "Begum", "Ali", "Singh",
          "Kaur", "Harris", "Cooper", "Ward", "Turner", "Hill", "Moore", "Baker", "King", "Scott",
          "Müller", "Kovács", "Popescu", "Atkinson", "Brennan", "Lowe"]
VOICES = ["I was asleep.", "They were arguing, I stayed in my room.", "I don't want to talk about it.",
          "I was scared, so I rang Nan.", 'She said "it\'s fine now".', "I want it to stop.",
          "Nothing happened, we were watching TV.", "I'm worried about Mum."]

# Schools by local authority and the child's age.
SCHOOLS_BY_AGE = {
    "925": [((4, 7), ["120502", "120501", "120503", "139900"]), ((8, 10), ["120501", "120503", "139900"]),
            ((11, 15), ["120504", "120504", "139900"]), ((16, 17), ["120599", "139900"])],
    "888": [((4, 10), ["119601", "119602", "119604"]), ((11, 17), ["119603"])],
}


def school_for(la, age):
    if rng.random() < 0.03:
        return ""
    for (low, high), urns in SCHOOLS_BY_AGE[la]:
        if low <= age <= high:
            return rng.choice(urns)
    raise AssertionError(age)


def evening(day):
    hour = rng.choice([17, 18, 19, 19, 20, 20, 21, 21, 21, 22, 22, 22, 23, 23, 13, 15, 9])
    return london_to_utc(day, hour, rng.randrange(60))


def filler(households):
    span = (LAST_DAY - FIRST_DAY).days
    for _ in range(households):
        la = "925" if rng.random() < 0.6 else "888"
        visits = 1 if rng.random() < 0.86 else 2
        first = FIRST_DAY + dt.timedelta(days=rng.randrange(span + 1))
        days = [first]
        if visits == 2:
            second = first + dt.timedelta(days=rng.randint(20, 90))
            if second <= LAST_DAY:
                days.append(second)
        n = rng.choices([0, 1, 2, 3], weights=[5, 50, 32, 13])[0]
        family = rng.choice(FAMILY)
        kids = []
        for _ in range(n):
            age = rng.randint(4, 16 if len(days) == 2 else 17)
            dob = dob_for(age, first)
            name = family if rng.random() < 0.85 else rng.choice(FAMILY)
            kids.append(Child(f"C-{Ids.child}", rng.choice(GIVEN), name, dob, school_for(la, age)))
            Ids.child += 1
        victim, perpetrator = person(), person()
        for day in days:
            grade = rng.choices(["standard", "medium", "high"], weights=[80, 16, 4])[0]
            tool = rng.choices(["DASH", "DARA", "NONE"], weights=[89, 10, 1])[0]
            links = []
            for child in kids:
                present = rng.choice(["Y", "Y", "N", ""])
                spoken = ("Y" if rng.random() < 0.5 else "N") if present == "Y" else rng.choice(["N", "N", ""])
                voice = rng.choice(VOICES) if spoken == "Y" and rng.random() < 0.6 else ""
                links.append((child, present, spoken, voice))
            incident(evening(day), links, grade=grade, tool=tool,
                     supervisor=grade if rng.random() < 0.25 else "", victim=victim,
                     perpetrator=perpetrator if rng.random() < 0.95 else None)


# ---------------------------------------------------------------- output

HEADER = ["incident_id", "reported_at", "risk_tool", "officer_grade", "dash_yes_count", "supervisor_grade",
          "victim_id", "perpetrator_id", "child_id", "child_given_name", "child_family_name", "child_dob",
          "school_urn", "child_present", "child_spoken_to", "child_voice", "bwv_used"]


def number_incidents():
    INCIDENTS.sort(key=lambda i: i["when"])
    per_year = {}
    for inc in INCIDENTS:
        y = inc["when"].year
        per_year[y] = per_year.get(y, 0) + 1
        inc["id"] = f"PPN-{y}-{per_year[y]:04d}"


# The serial-perpetrator case (P-9001: two households, two children, the demo's issue 12 case), added
# to the committed file by hand after the numbered incidents, its own ids outside the numbering, and
# written as it was (its child's words quoted though csv would not quote them, each row ending in LF
# where the rest end in CRLF: the ingest takes either, `LineEnds`) so the file stays the same byte
# for byte. Fixed text, no draw from `rng`: every row above stays as it was.
SERIAL_PERPETRATOR_ROWS = [
    'PPN-2026-9001,2026-03-14T22:05:00Z,DASH,standard,5,,V-9001,P-9001,C-3101,Leo,Marsh,2017-02-11,120501,Y,Y,'
    '"I hid under the bed.",Y',
    "PPN-2026-9002,2026-10-30T20:40:00Z,DASH,standard,4,,V-9002,P-9001,C-3102,Ruby,Fenwick,2015-08-19,120502,Y,N,,N",
]


def write_incidents():
    with open(CONFIG / "sample-incidents.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEADER)
        for inc in INCIDENTS:
            head = [inc["id"], iso(inc["when"]), inc["tool"], inc["grade"], inc["yes"], inc["supervisor"],
                    inc["victim"], inc["perpetrator"]]
            if not inc["kids"]:
                w.writerow(head + [""] * 9)
            for child, present, spoken, voice in inc["kids"]:
                w.writerow(head + [child.cid, child.given, child.family, child.dob.isoformat(), child.urn,
                                   present, spoken, voice, inc["bwv"]])
        for row in SERIAL_PERPETRATOR_ROWS:
            f.write(row + "\n")


def write_decisions():
    with open(CONFIG / "sample-decisions.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["child_id", "marac", "on", "reason", "by"])
        w.writerow(["C-1031", "referred", "2026-04-16", "High-risk DASH (16 yes answers); referred to Lincolnshire MARAC",
                    "hub.reviewer1"])
        w.writerow(["C-1003", "declined", "2026-09-23",
                    "Strategy discussion with children's social care on 2026-09-22; victim engaging with IDVA, "
                    "perpetrator bailed away from the address. Review if another incident occurs.",
                    "hub.reviewer2"])


def check():
    for inc in INCIDENTS:
        day = inc["when"].date()
        assert FIRST_DAY <= day <= LAST_DAY, inc["id"]
        for child, *_ in inc["kids"]:
            assert 4 <= age_on(child.dob, day) <= 17, (child.cid, inc["id"])


def options(argv=None):
    """Parsed before anything is generated or written, so --help (or a mistyped option) writes nothing."""
    parser = argparse.ArgumentParser(
        description="Write the sample data shipped in Config/ (schools.csv, key-adults.csv, sample-incidents.csv, "
                    "sample-decisions.csv), the same bytes on every run.")
    parser.add_argument("--out", metavar="DIR", type=Path, default=CONFIG,
                        help="the directory to write the files into (default: the repository's Config/)")
    return parser.parse_args(argv)


def main():
    global CONFIG
    CONFIG = options().out
    CONFIG.mkdir(parents=True, exist_ok=True)
    special_cases()
    filler(120)
    number_incidents()
    check()
    write_schools()
    write_key_adults()
    write_incidents()
    write_decisions()
    children = {c.cid for i in INCIDENTS for c, *_ in i["kids"]}
    rows = sum(max(len(i["kids"]), 1) for i in INCIDENTS)
    print(f"sample-incidents.csv: {len(INCIDENTS)} incidents, {rows} rows, {len(children)} children")
    for tag, incs in TAGS.items():
        print(f"  {tag}: {', '.join(i['id'] for i in incs)}")
    print(f"  serial perpetrator P-9001 (fixed rows, last): {', '.join(r.split(',')[0] for r in SERIAL_PERPETRATOR_ROWS)}")


if __name__ == "__main__":
    main()
