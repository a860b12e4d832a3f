#!/usr/bin/env python3
"""Missing-from-home episodes for the escalations benchmark (issue 12): N episodes for children of a
synthetic incident file, in the year before AS_OF, most returned and interviewed, some not.

usage: make-episodes.py INCIDENTS.csv N AS_OF OUT.csv   (seeded: the same arguments give the same file)
"""
import csv, random, sys
from datetime import datetime, timedelta, timezone

incidents, count, as_of, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rng = random.Random(1)
end = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
children = {}
with open(incidents, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if row["child_id"] and row["child_id"] not in children:
            children[row["child_id"]] = (row["child_given_name"], row["child_family_name"], row["child_dob"], row["school_urn"])
ids = sorted(children)
# Missing children go missing again: a tenth of the children hold most episodes.
frequent = ids[: max(1, len(ids) // 10)]
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["episode_id", "child_id", "child_given_name", "child_family_name", "child_dob", "school_urn",
                "missing_at", "returned_at", "risk", "return_interview_at"])
    for n in range(count):
        child = rng.choice(frequent) if rng.random() < 0.7 else rng.choice(ids)
        given, family, dob, urn = children[child]
        missing = end - timedelta(seconds=rng.randrange(365 * 86400))
        back = missing + timedelta(hours=rng.randrange(2, 72)) if rng.random() < 0.95 else None
        interview = back + timedelta(hours=rng.randrange(4, 120)) if back and rng.random() < 0.8 else None
        if interview and interview > end:
            interview = None
        if back and back > end:
            back, interview = None, None
        z = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ") if d else ""
        w.writerow([f"MFH-{n:07d}", child, given, family, dob, urn, z(missing), z(back),
                    rng.choice(["no-apparent-risk", "low", "medium", "high"]), z(interview)])
