"""The pure parts of benchmarks/real_model.py: the split keeps every test file (and every
variant of a test component) out of training; the paired statistics."""
from __future__ import annotations

from benchmarks.real_model import paired, split_rows


def _rows():
    rows = []
    for plugin in ("A", "B", "C"):
        for f in range(6):
            for c in range(2):
                group = f"{plugin}{f}{c}"
                rows.append({"source": f"{plugin}/src/F{f}.cs#K{c}", "group": group, "kind": "component"})
                rows.append({"source": f"{plugin}/src/F{f}.cs#K{c}", "group": group, "kind": "skeleton"})
    rows.append({"source": "A/docs/guide.pdf:page 2#K0", "group": "A00", "kind": "document"})
    return rows


def test_split_by_file_and_by_plugin_keeps_test_files_and_groups_out_of_training():
    for by, unit in (("file", lambda r: r["source"].split("#")[0]), ("plugin", lambda r: r["source"].split("/")[0])):
        train, val, test = split_rows(_rows(), by=by, tasks=8, val_fraction=0.2, seed=0)
        assert len(test) == 8 and all(r["kind"] != "document" for r in test)
        test_units, test_groups = {unit(r) for r in test}, {r["group"] for r in test}
        assert not [r for r in train + val if unit(r) in test_units or r["group"] in test_groups]
        assert not {unit(r) for r in train} & {unit(r) for r in val}
        assert train and val


def test_paired_difference_interval_and_mcnemar():
    tuned = [1.0] * 15 + [0.0] * 5
    base = [0.0] * 15 + [0.0] * 5
    d = paired(tuned, base, resamples=2000, seed=1)
    assert d["difference"] == 0.75 and d["interval_above_zero"] and d["ci95"][0] > 0.5
    assert (d["only_tuned"], d["only_base"]) == (15, 0) and d["mcnemar_p"] < 0.001
    same = paired([1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 1.0, 0.0], resamples=500, seed=1)
    assert same["difference"] == 0 and same["ci95"] == [0.0, 0.0] and same["mcnemar_p"] == 1.0
    assert not same["interval_above_zero"]


def test_sweep_spec_is_every_combination():
    from benchmarks.real_model import parse_sweep

    assert parse_sweep(None) == [{}]
    assert parse_sweep("lr=2e-4,1e-3; rank=8,16") == [{"lr": 2e-4, "rank": 8}, {"lr": 2e-4, "rank": 16},
                                                       {"lr": 1e-3, "rank": 8}, {"lr": 1e-3, "rank": 16}]
    import pytest

    with pytest.raises(SystemExit, match="lora_r"):
        parse_sweep("lora_r=8")


def test_tasks_are_drawn_from_eligible_rows_and_their_files_stay_out_of_training():
    rows = _rows()
    long = {id(r) for r in rows if r["source"].endswith("#K1")}   # "too long to answer": not eligible
    train, val, test = split_rows(rows, by="file", tasks=6, val_fraction=0.2, seed=0,
                                  eligible=lambda r: r["kind"] != "document" and id(r) not in long)
    assert len(test) == 6 and not [r for r in test if id(r) in long]
    test_files = {r["source"].split("#")[0] for r in test}
    # A test file's ineligible components are not trained on either.
    assert not [r for r in train + val if r["source"].split("#")[0] in test_files]


def test_decoding_candidates_are_parsed_and_greedy_takes_one_sample():
    import pytest

    from benchmarks.real_model import DEFAULT_DECODINGS, parse_decodings

    cands = parse_decodings(DEFAULT_DECODINGS)
    assert cands[0] == {"name": "greedy", "n": 1, "generation": {"temperature": 0.0, "repeat_penalty": 1.0}}
    assert all(c["n"] == 1 and c["generation"]["temperature"] == 0 for c in cands)
    assert parse_decodings("s:t=0.7,top_p=0.95,rp=1.1,n=3") == [
        {"name": "s", "n": 3, "generation": {"temperature": 0.7, "top_p": 0.95, "repeat_penalty": 1.1}}]
    with pytest.raises(SystemExit, match="greedy"):
        parse_decodings("g:t=0,n=2")
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        parse_decodings("g:temp=0")


def test_decoding_score_is_the_mean_depth_of_one_answer():
    from benchmarks.real_model import decoding_score

    stages = ["extract", "syntax", "structure", "api"]
    ok, syntax_fail = ({s: "pass" for s in stages}, {"extract": "pass", "syntax": "fail"})
    report = {"stages": stages, "aggregates": {"pass_at_k_by_stage": {}},
              "tasks": [{"chrf": 50.0, "samples": [{"stages": ok}, {"stages": syntax_fail}]},
                        {"chrf": 10.0, "samples": [{"stages": syntax_fail}, {"stages": syntax_fail}]}]}
    score = decoding_score(report)
    assert score["depth"] == (((4 + 1) / 4 / 2) + (1 / 4)) / 2
    assert score["pass@1"] == 0.25 and score["chrf"] == 30.0 and score["stage_rates"]["syntax"] == 0.25


def test_validation_grows_until_it_holds_the_tasks_decoding_is_chosen_on():
    rows = _rows()
    eligible = lambda r: r["kind"] == "component"  # noqa: E731
    train, val, test = split_rows(rows, by="file", tasks=4, val_fraction=0.0, seed=0, eligible=eligible,
                                  val_tasks=6)
    assert sum(map(eligible, val)) >= 6 and len(test) == 4
    files = lambda part: {r["source"].split("#")[0] for r in part}  # noqa: E731
    assert not files(train) & files(val) and not files(train) & files(test) and not files(val) & files(test)


def test_retest_refuses_a_result_whose_work_folder_is_gone(tmp_path):
    """--retest decodes and judges again what an earlier run trained; when that run's scratch
    folder no longer holds it, one line says so and nothing is created or deleted."""
    import json

    import pytest

    from benchmarks.real_model import main

    work = tmp_path / "bench"
    (work / "evaluation").mkdir(parents=True)
    (work / "keep.txt").write_text("not the benchmark's\n")
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"evaluation_report": str(work / "evaluation" / "report.json")}))
    with pytest.raises(SystemExit) as exc:
        main(["--retest", str(result)])
    assert "no longer holds that run" in str(exc.value) and str(work) in str(exc.value)
    assert sorted(p.name for p in work.iterdir()) == ["evaluation", "keep.txt"]
