"""China's rare-earth export quota (and its change) as known on 19 October 2010 and as
known in 2013, the notebook way: import the bundled data set, ask the same
question at two knowledge times, and plot the answers side by side (with
matplotlib when it is installed; as tables otherwise). The data set holds
one yearly quota (2010), so the chart shows the quota's change per slot,
where the two knowledge times differ. Run from the repository root:

    python python/examples/quota_as_known.py
"""

import pathlib

import annals

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "rare-earths.jsonl"

with annals.Store.temporary() as store:
    store.import_file(FIXTURE)
    series = {}
    for known in ("2010-10-19", "2013"):
        series[known] = {}
        for attribute in ("export_quota", "export_quota_change"):
            answer = store.get("china", attribute, known=known)
            print(f"china.{attribute} as known {known} (log_seq {answer.log_seq}):")
            for row in answer:
                value = row["value"]
                print(f"  {str(row['valid']):8} {str(value):>10}  {row['status']:9} {row['modality']}")
                if attribute == "export_quota_change" and value.magnitude is not None:
                    series[known][str(row["valid"])] = (value.magnitude, row["status"])

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: the tables above are the chart)")
    else:
        slots = sorted(set(series["2010-10-19"]) | set(series["2013"]))
        width = 0.4
        figure, axes = plt.subplots(figsize=(7, 4))
        for offset, known in ((-width / 2, "2010-10-19"), (width / 2, "2013")):
            heights = [series[known].get(s, (0, ""))[0] for s in slots]
            bars = axes.bar([i + offset for i in range(len(slots))], heights, width,
                            label=f"as known {known}")
            # A denied claim is drawn hollow: it was said, then denied.
            for bar, slot in zip(bars, slots):
                if series[known].get(slot, (0, ""))[1] == "denied":
                    bar.set_fill(False)
        axes.set_xticks(range(len(slots)), slots)
        axes.set_ylabel("change of the export quota (%)")
        axes.set_title("China's rare-earth export quota change, by what was known when")
        axes.legend()
        out = pathlib.Path("quota_as_known.png")
        figure.savefig(out, dpi=120, bbox_inches="tight")
        print(f"chart written to {out}")
