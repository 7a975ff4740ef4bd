"""Print a Monge results table (CSV, Markdown or JSON) without its timing columns."""
import csv, json, sys

TIMING = {"bridge_s", "ot_s", "cycle_s", "seconds"}
path = sys.argv[1]
with open(path, newline="") as f:
    text = f.read()
if path.endswith(".json"):
    rows = [{k: v for k, v in row.items() if k not in TIMING} for row in json.loads(text)]
    print(json.dumps(rows, sort_keys=False))
elif path.endswith(".md"):
    lines = text.splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    keep = [i for i, c in enumerate(header) if c not in TIMING]
    for line in lines:
        cells = line.strip().strip("|").split("|")
        print("|".join(cells[i] for i in keep if i < len(cells)))
else:
    rows = list(csv.reader(text.splitlines()))
    keep = [i for i, c in enumerate(rows[0]) if c not in TIMING]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    for row in rows:
        writer.writerow([row[i] for i in keep])
