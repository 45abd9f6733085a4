"""Crash paths found by fuzzing (issue 8, section 6): every bad input ends in exit code 2 and one
line on stderr, never an internal error, a traceback or a hang."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CliRun
from costlm import api
from costlm.bounds import MAX_GPUS_PER_REPLICA
from costlm.catalog.schema import Source, is_http_url
from costlm.errors import CatalogError, InputError, UnknownIdError
from costlm.report import exports
from costlm.report.files import FILE_NAMES, STAGING_MARK, write_report
from costlm.safeio import MAX_NESTING_DEPTH, MAX_USER_FILE_BYTES, nesting_depth, read_user_text, shown_path

SOURCE = (
    '[[source]]\nid = "my-quote"\ntitle = "Vendor quote"\npublisher = "Me"\nkind = "docs"\n'
    'date = "2026"\nurl = "https://example.org/quote"\n\n'
)
ACCELERATOR = (
    '[[accelerator]]\nid = "my-gpu"\nname = "My GPU"\nvendor = "Me"\nyear = 2026\n'
    'generation = "hopper"\nkind = "gpu"\n'
    'memory_gb = { value = 80, source = "my-quote", locator = "p. 1" }\n'
    'hbm_tb_per_s = { value = 3, source = "my-quote", locator = "p. 1" }\n'
    'peak_bf16_dense_tflop_per_s = { value = 900, source = "my-quote", locator = "p. 1" }\n'
    'purchase_usd = { value = 30000, source = "my-quote", locator = "p. 1" }\n\n'
)
RUN = (
    '[[run]]\nid = "my-run"\nname = "My run"\norganization = "Me"\nyear = 2026\nkind = "pretrain"\n'
    'source_kind = "official"\nscope = "final run"\nhardware = "h100-sxm"\nmodel = "llama-2-7b"\n'
    'gpu_hours = { value = 1000, source = "my-quote", locator = "p. 1" }\n\n'
)
CLAIM = (
    '[[claim]]\nid = "mine"\nsubject = "llama-3-70b"\nquantity = "n_gpus"\nvalue = 100\nunit = "GPUs"\n'
    'scope = "final-run"\ncontext = { gpu = "h100" }\n'
    'origin = { document = "d", publisher = "p", date = "2026" }\n'
    'paraphrase_en = "x"\nparaphrase_es = "x"\n'
)


def assert_one_line_exit_2(code: int, out: str, err: str) -> str:
    """The contract of every bad input: exit 2, one non-empty stderr line, no internal error."""
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].strip(), err
    assert "internal error" not in err and "Traceback" not in err + out
    return lines[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- 1. near-miss ids in overlays and claims files ---------------------------------------------


def test_valid_overlay_and_claims_file_pass(cli: CliRun, tmp_path: Path) -> None:
    overlay = write(tmp_path, "mine.toml", SOURCE + ACCELERATOR + RUN)
    code, out, err = cli(["catalog", "check", str(overlay)])
    assert code == 0 and "ok" in out, err
    claims = write(tmp_path, "claims.toml", CLAIM)
    code, out, err = cli(["check", "--file", str(claims), "--samples", "200"])
    assert code == 0 and "mine" in out, err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            SOURCE
            + ACCELERATOR.replace('value = 30000, source = "my-quote"', 'value = 30000, source = "my-quot"'),
            "mine.toml: accelerator 'my-gpu': unknown source 'my-quot'; did you mean my-quote?",
        ),
        (
            SOURCE + RUN.replace('hardware = "h100-sxm"', 'hardware = "h10"'),
            "mine.toml: run 'my-run': unknown accelerator 'h10'; did you mean h100-sxm",
        ),
        (
            SOURCE + RUN.replace('model = "llama-2-7b"', 'model = "llama-2-7"'),
            "mine.toml: run 'my-run': unknown model 'llama-2-7'; did you mean llama-2-7b",
        ),
    ],
)
def test_near_miss_id_in_overlay_is_a_hint(cli: CliRun, tmp_path: Path, text: str, message: str) -> None:
    overlay = write(tmp_path, "mine.toml", text)
    for argv in (["catalog", "check", str(overlay)], ["train", "llama-2-7b", "--catalog", str(overlay)]):
        line = assert_one_line_exit_2(*cli([*argv, "--samples", "10"] if argv[0] == "train" else argv))
        assert message in line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'gpu = "h100"',
            'gpu = "h10"',
            "claim 'mine': field 'context.gpu': unknown accelerator 'h10'; did you mean h100-sxm",
        ),
        (
            'subject = "llama-3-70b"',
            'subject = "llama-3-7b"',
            "claim 'mine': field 'subject': unknown model or accelerator 'llama-3-7b'; did you mean",
        ),
        (
            'context = { gpu = "h100" }',
            'context = { fleet = [{ gpu = "a10", n_gpus = 8 }] }',
            "claim 'mine': field 'context.gpu': unknown accelerator 'a10'; did you mean a10g",
        ),
    ],
)
def test_near_miss_id_in_claims_file_is_a_hint(
    cli: CliRun, tmp_path: Path, old: str, new: str, message: str
) -> None:
    claims = write(tmp_path, "claims.toml", CLAIM.replace(old, new))
    line = assert_one_line_exit_2(*cli(["check", "--file", str(claims), "--samples", "10"]))
    assert f"claims.toml: {message}" in line


def test_grid_region_near_miss(cli: CliRun) -> None:
    line = assert_one_line_exit_2(*cli(["train", "llama-3-70b", "--grid", "franc", "--samples", "10"]))
    assert "unknown grid region 'franc'; did you mean france" in line


def test_unknown_id_hint_lists_ids_never_entries() -> None:
    catalog = api.load_catalog()
    for table in (catalog.accelerators, catalog.models, catalog.sources, catalog.grid):
        error = UnknownIdError("thing", "h10", table)  # a catalog table: id -> entry
        close = str(error.values["close"])
        assert "=" not in str(error) and all(name in table for name in close.split(", ") if name)
    assert UnknownIdError("x", "h10", catalog.accelerators).values["close"] == "h20, h800, h200"
    assert str(UnknownIdError("x", "h1" + "0" * 5000, ["h100"])).count("0") < 100  # long names cut


# --- 2. huge integers --------------------------------------------------------------------------

BIG = "1" + "0" * 400
CONFIG = {
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "vocab_size": 32000,
    "intermediate_size": 11008,
    "max_position_embeddings": 4096,
}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--params", BIG, "--tokens", "2T", "--gpu", "a100", "--n-gpus", "8"], "--params: '1000"),
        (
            ["train", "--params", "7B", "--tokens", "2T", "--gpu", "a100", "--n-gpus", BIG],
            "--n-gpus: a number with ~401 digits is absurdly large",
        ),
        (["train", "--train-flop", "1e400", "--gpu", "a100", "--n-gpus", "8"], "absurdly large (max 1e+30)"),
        (
            ["serve", "llama-3-70b", "--n-gpus", BIG],
            "--n-gpus: a number with ~401 digits is more than the 64",
        ),
        (
            ["serve", "llama-3-70b", "--n-gpus", "65"],
            "--n-gpus: 65 is more than the 64 GPUs a replica can take",
        ),
        (
            ["serve", "llama-3-70b", "--batch", BIG],
            "--batch: a number with ~401 digits is more than the 1,000,000",
        ),
        (["serve", "llama-3-70b", "--target-batch", BIG], "--target-batch: a number with ~401 digits"),
        (["serve", "llama-3-70b", "--prompt-tokens", BIG], "--prompt-tokens: '1000"),
        (["serve", "llama-3-70b", "--tokens-per-day", BIG], "--tokens-per-day: '1000"),
    ],
)
def test_huge_cli_numbers_are_one_line(cli: CliRun, argv: list[str], message: str) -> None:
    line = assert_one_line_exit_2(*cli([*argv, "--samples", "10"]))
    assert message in line and len(line) < 200, line


def test_serve_accepts_the_largest_replica(cli: CliRun) -> None:
    code, out, err = cli(["serve", "llama-3-70b", "--n-gpus", str(MAX_GPUS_PER_REPLICA), "--samples", "10"])
    assert code == 0 and f"on {MAX_GPUS_PER_REPLICA} × NVIDIA H100" in out, err


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("num_hidden_layers", "'num_hidden_layers' is absurdly large (max 100,000,000)"),
        ("hidden_size", "'hidden_size' is absurdly large"),
        ("max_position_embeddings", "'max_position_embeddings' is absurdly large"),
        ("sliding_window", "'sliding_window' is absurdly large"),
    ],
)
def test_huge_integers_in_config_json(cli: CliRun, tmp_path: Path, field: str, message: str) -> None:
    path = write(tmp_path, "config.json", json.dumps({**CONFIG, field: "HUGE"}).replace('"HUGE"', BIG))
    line = assert_one_line_exit_2(*cli(["serve", "--config", str(path), "--samples", "10"]))
    assert message in line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f'[defaults]\npue = {{ value = {BIG}, source = "costlm-assumption", locator = "x" }}\n',
            "pue.value",
        ),
        (SOURCE + RUN.replace("year = 2026", f"year = {BIG}"), "field 'year': Input should be less than"),
        (
            SOURCE + RUN.replace("value = 1000", f"value = {BIG}"),
            "field 'gpu_hours.value': Value error, an integer above 1e+30 is absurdly large",
        ),
        (
            f'[defaults]\npue = {{ value = {"1" * 5000}, source = "s", locator = "x" }}\n',
            "more than 4300 digits",
        ),
    ],
)
def test_huge_integers_in_overlays(cli: CliRun, tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "mine.toml", text)
    line = assert_one_line_exit_2(*cli(["catalog", "check", str(path)]))
    assert "mine.toml" in line and message in line, line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("value = 100", f"value = {BIG}", "field 'value': Value error, an integer above 1e+30"),
        (
            'gpu = "h100"',
            f'gpu = "h100", n_gpus = {BIG}',
            "field 'context.n_gpus': Input should be less than",
        ),
        ('gpu = "h100"', f'fleet = [{{ gpu = "h100", n_gpus = {BIG} }}]', "field 'context.fleet.0.n_gpus'"),
        (
            'gpu = "h100"',
            f'gpu = "h100", days = {BIG}',
            "field 'context.days': Value error, an integer above",
        ),
    ],
)
def test_huge_integers_in_claims_files(cli: CliRun, tmp_path: Path, old: str, new: str, message: str) -> None:
    path = write(tmp_path, "claims.toml", CLAIM.replace(old, new))
    line = assert_one_line_exit_2(*cli(["check", "--file", str(path), "--samples", "10"]))
    assert "claims.toml: claim 'mine'" in line and message in line, line


def test_huge_integer_in_config_json_beyond_digit_limit(cli: CliRun, tmp_path: Path) -> None:
    path = write(tmp_path, "config.json", '{"num_hidden_layers": ' + "9" * 5000 + "}")
    line = assert_one_line_exit_2(*cli(["serve", "--config", str(path)]))
    assert "a number has more than 4300 digits" in line


# --- 3. files: devices, FIFOs, directories, huge files, long paths, bad encodings --------------


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail the test (instead of hanging the suite) if reading blocks for 20 s."""

    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError("blocked reading a file")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _file_argvs(path: str) -> list[list[str]]:
    """Every place a user names a file: --catalog, catalog check, check --file, serve --config."""
    return [
        ["train", "llama-2-7b", "--samples", "10", "--catalog", path],
        ["catalog", "check", path],
        ["check", "--file", path, "--samples", "10"],
        ["serve", "--config", path, "--samples", "10"],
    ]


@pytest.mark.usefixtures("no_hang")
@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/dev/zero", "it is a device, not a regular file"),
        ("/dev/null", "it is a device, not a regular file"),
        ("FIFO", "it is a pipe (FIFO), not a regular file"),
        ("DIR", "it is a directory, not a"),
        ("MISSING", "no such"),
        ("LONG", "the path is too long for the file system; use a shorter path"),
        ("BIG", "larger than the 16 MiB limit"),
        ("LATIN1", "not UTF-8 text (invalid byte at offset 5)"),
    ],
)
def test_unreadable_files_are_one_line(cli: CliRun, tmp_path: Path, target: str, message: str) -> None:
    paths = {
        "FIFO": lambda: str(tmp_path / "pipe"),
        "DIR": lambda: str(tmp_path),
        "MISSING": lambda: str(tmp_path / "missing.toml"),
        "LONG": lambda: "x" * 5000,
        "BIG": lambda: str(write(tmp_path, "big.toml", "#" * (MAX_USER_FILE_BYTES + 1))),
        "LATIN1": lambda: str(write_bytes(tmp_path / "latin1.toml", b"# caf\xe9\n")),
    }
    if target == "FIFO":
        os.mkfifo(tmp_path / "pipe")
    path = paths[target]() if target in paths else target
    for argv in _file_argvs(path):
        line = assert_one_line_exit_2(*cli(argv))
        assert message in line and "cannot read '" in line, (argv, line)
        assert len(line) < 400  # a 5,000-character path is shortened


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_safe_reader_reads_regular_files_and_names_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.toml", "a = 1\n")
    assert read_user_text(path, what="catalog file", error=CatalogError) == "a = 1\n"
    with pytest.raises(InputError) as info:
        read_user_text(tmp_path, what="config file", error=InputError, option="--config")
    assert str(info.value) == (
        f"--config: cannot read '{tmp_path}': it is a directory, not a config file; give the path of the file"
    )
    assert shown_path("a\nb") == "a\\nb"  # a line break in a path cannot split the message


# --- 4. deeply nested JSON / TOML -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("config.json", "[" * 100_000),
        ("config.json", "[" * 100_000 + "]" * 100_000),
        ("config.json", '{"a":' * 200 + "1" + "}" * 200),
        ("overlay.toml", "a = " + "[" * 100_000),
        ("overlay.toml", "a = " + "[" * 500 + "]" * 500),
        ("overlay.toml", "a = " + "{b = " * 3000 + "1" + "}" * 3000),
        ("overlay.toml", "[defaults]\npue = " + "[" * 100_000 + "]" * 100_000),
    ],
)
def test_deep_nesting_is_one_line(cli: CliRun, tmp_path: Path, name: str, text: str) -> None:
    path = str(write(tmp_path, name, text))
    argvs = [["serve", "--config", path]] if name.endswith(".json") else _file_argvs(path)[:3]
    for argv in argvs:
        line = assert_one_line_exit_2(*cli(argv))
        assert f"nested more than {MAX_NESTING_DEPTH} deep" in line, line


def test_nesting_depth_counts_without_recursion() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth(deep) == MAX_NESTING_DEPTH + 1  # stops one level below the limit
    assert nesting_depth({"a": [1, {"b": 2}]}) == 3 and nesting_depth(5) == 0


# --- 5. report atomicity ----------------------------------------------------------------------

OLD = "old report\n"
ALL_NAMES = sorted(FILE_NAMES.values())


@pytest.fixture(scope="module")
def small_report() -> api.ReportData:
    return api.report_data(["llama-2-7b"], samples=100, seed=0)


def old_report(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in ALL_NAMES:
        (out / name).write_text(OLD, encoding="utf-8")


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if STAGING_MARK in p.name)


def report_state(out: Path) -> str:
    """'old', 'new' (every format written and complete) or a description of the mix."""
    files = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    texts = {name: (out / name).read_bytes() for name in files if name in ALL_NAMES}
    if files == ALL_NAMES and all(t == OLD.encode() for t in texts.values()):
        return "old"
    new = [name for name, t in texts.items() if t != OLD.encode()]
    if files == ALL_NAMES and len(new) == len(ALL_NAMES):
        assert texts["index.html"].rstrip().endswith(b"</html>")
        assert json.loads(texts["report.json"])["table"]["rows"]
        return "new"
    return f"mixed: {files}, new: {new}"


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), RuntimeError("writer bug")])
def test_failed_write_keeps_the_old_report(
    small_report: api.ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    out = tmp_path / "report"
    old_report(out)

    def broken(*args: object) -> None:  # xlsx comes after html, md, csv, json: a mid-write failure
        raise error

    monkeypatch.setattr(exports, "write_xlsx", broken)
    with pytest.raises(InputError if isinstance(error, OSError) else RuntimeError) as info:
        write_report(small_report, out, "en")
    if isinstance(error, OSError):
        assert str(info.value) == f"--out: cannot write to '{out}' (No space left on device)"
    assert report_state(out) == "old" and leftovers(tmp_path) == []


@pytest.mark.parametrize("shared", [False, True])
def test_failed_rename_restores_the_old_report(
    small_report: api.ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool
) -> None:
    out = tmp_path / "report"
    old_report(out)
    if shared:
        (out / "notes.txt").write_text("mine", encoding="utf-8")
    real_rename, calls = os.rename, []

    def flaky(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(dst)
        if len(calls) == (5 if shared else 2):  # the new directory (or the third file) into place
            raise OSError(5, "Input/output error")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", flaky)
    with pytest.raises(InputError, match="Input/output error"):
        write_report(small_report, out, "en")
    monkeypatch.setattr(os, "rename", real_rename)
    if shared:
        assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
        (out / "notes.txt").unlink()
    assert report_state(out) == "old" and leftovers(tmp_path) == []


def test_swap_replaces_a_costlm_directory_whole(small_report: api.ReportData, tmp_path: Path) -> None:
    out = tmp_path / "report"
    old_report(out)
    (out / ".costlm-abcd1234").mkdir()  # staging an older costlm left behind
    out.chmod(0o751)
    paths = write_report(small_report, out, "en", ["html", "csv"])
    assert paths == [out / "index.html", out / "report.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "report.csv"]  # stale formats gone
    assert stat.S_IMODE(out.stat().st_mode) == 0o751 and leftovers(tmp_path) == []
    link = tmp_path / "link"
    link.symlink_to(out)
    write_report(small_report, link, "en", ["md"])
    assert link.is_symlink() and sorted(p.name for p in out.iterdir()) == ["report.md"]


def test_directory_with_user_files_keeps_them(small_report: api.ReportData, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    old_report(out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "data").mkdir()
    write_report(small_report, out, "en", ["html", "tex"])
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine" and (out / "data").is_dir()
    assert (out / "report.md").read_text(encoding="utf-8") == OLD  # a format not written: untouched
    assert (out / "index.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert leftovers(tmp_path) == []


def test_a_signal_during_the_renames_waits_for_them(tmp_path: Path) -> None:
    from costlm.report import files

    with pytest.raises(SystemExit) as info, files._guarded() as guard:
        guard.staged.append(tmp_path / ".costlm-x")
        (tmp_path / ".costlm-x").mkdir()
        with guard.deferring_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes: give it many chances
                pass
            reached = True
    assert reached and info.value.code == 128 + signal.SIGTERM and leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(signal.getsignal(signal.SIGTERM))


BLOCKING_WRITER = """
import os, sys, time
from costlm.report import exports
from costlm.cli import main

def slow(*args):
    print("WRITING", flush=True)
    time.sleep(float(os.environ["WRITER_SECONDS"]))

exports.write_xlsx = slow
sys.argv = ["costlm", *sys.argv[1:]]
main()
"""


def _report_argv(out: Path) -> list[str]:
    return ["report", "--models", "llama-2-7b", "--samples", "100", "--out", str(out)]


@pytest.mark.parametrize(("writer_s", "n_signals"), [(1.0, 1), (60.0, 2)])
def test_sigterm_mid_write_leaves_the_old_report(tmp_path: Path, writer_s: float, n_signals: int) -> None:
    """A first SIGTERM lets the file being written finish, then cleans up and exits 143; a second
    one (the writer would take a minute) exits at once. Either way the old report stays whole."""
    out = tmp_path / "report"
    old_report(out)
    env = {**os.environ, "CI": "1", "WRITER_SECONDS": str(writer_s)}
    with subprocess.Popen(
        [sys.executable, "-c", BLOCKING_WRITER, *_report_argv(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "WRITING"  # html, md, csv, json are staged now
        assert leftovers(tmp_path)  # the staging directory exists ...
        for _ in range(n_signals):
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
        code = proc.wait(timeout=30)
    assert code == 128 + signal.SIGTERM
    assert report_state(out) == "old" and leftovers(tmp_path) == []  # ... and is gone


def test_sigterm_at_any_time_leaves_old_or_new(tmp_path: Path) -> None:
    """The real command (in parallel runs) gets SIGTERM early, or at several moments after its staging
    directory appears, or never: each report is the old or the new one, and nothing is left behind."""
    costlm = Path(sys.executable).with_name("costlm")
    offsets: list[float | None] = [-1.0, 0.0, 0.05, 0.2, 0.5, 1.0, 2.0, None]  # -1: 0.5 s after start
    runs: list[tuple[Path, float | None, subprocess.Popen[bytes]]] = []
    for i, offset in enumerate(offsets):
        root = tmp_path / f"r{i}"
        old_report(root / "report")
        argv = [str(costlm), *_report_argv(root / "report")]
        root.mkdir(parents=True, exist_ok=True)
        with (root / "stderr.txt").open("wb") as err:
            runs.append((root, offset, subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)))
    start, kill_at, killed_staged = time.monotonic(), {i: 0.5 for i, o in enumerate(offsets) if o == -1}, 0
    while any(proc.poll() is None for _, _, proc in runs) and time.monotonic() - start < 180:
        now = time.monotonic() - start
        for i, (root, offset, proc) in enumerate(runs):
            if proc.poll() is not None or offset is None:
                continue
            if i not in kill_at and leftovers(root):  # it is writing the report files now
                kill_at[i] = now + offset
            if i in kill_at and now >= kill_at[i]:
                killed_staged += bool(leftovers(root))
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
        time.sleep(0.01)
    states = [report_state(root / "report") for root, _, _ in runs]
    codes = [(proc.returncode, (root / "stderr.txt").read_text()[-300:]) for root, _, proc in runs]
    assert all(code in (0, 128 + signal.SIGTERM, -signal.SIGTERM) for code, _ in codes), codes
    assert all(state in ("old", "new") for state in states), states
    assert states[0] == "old" and states[-1] == "new" and killed_staged >= 1
    assert leftovers(tmp_path) == []


# --- 6. overlays are validated like the CLI's options ---------------------------------------


def _default(field: str, number: str) -> str:
    return f'[defaults]\n{field} = {{ {number}, source = "costlm-assumption", locator = "x" }}\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_default("pue", "value = 0.5"), "[defaults]: field 'pue': Value error, PUE 0.5 is outside [1, 3]"),
        (_default("pue", "low = 1.1, high = 4"), "field 'pue': Value error, PUE 1.1..4 is outside [1, 3]"),
        (
            _default("goodput", "value = 1.5"),
            "field 'goodput': Value error, 1.5 is not a fraction in [0.001, 1]",
        ),
        (_default("serving_utilization", "value = 0.0001"), "field 'serving_utilization': Value error"),
        (_default("decode_bandwidth_efficiency", "low = 0.5, high = 2"), "is not a fraction"),
        (_default("server_overhead", "value = 0.5"), "field 'server_overhead': Value error, 0.5 is below 1"),
        (
            '[[mfu_prior]]\ngeneration = "hopper"\ndtype = "bf16"\n'
            'mfu = { value = 5, source = "costlm-assumption", locator = "x" }\n',
            "mfu_prior #1: field 'mfu': Value error, 5 is not a fraction in [0.001, 1]",
        ),
        (
            SOURCE + RUN.rstrip() + '\nreported_mfu = { value = 45, source = "my-quote", locator = "x" }\n',
            "run 'my-run': field 'reported_mfu': Value error, 45 is not a fraction",
        ),
        (SOURCE + RUN + RUN, "run 'my-run': duplicate id"),
        (SOURCE + SOURCE + RUN, "source 'my-quote': duplicate id"),
        (
            '[[mfu_prior]]\ngeneration = "hopper"\ndtype = "bf16"\n'
            'mfu = { value = 0.3, source = "costlm-assumption", locator = "x" }\n' * 2,
            "mfu_prior #2: duplicate mfu_prior hopper/bf16",
        ),
    ],
)
def test_overlay_out_of_bounds_is_refused(cli: CliRun, tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "mine.toml", text)
    for argv in (
        ["catalog", "check", str(path)],
        ["train", "llama-2-7b", "--samples", "10", "--catalog", str(path)],
    ):
        line = assert_one_line_exit_2(*cli(argv))
        assert "mine.toml: " in line and message in line, line


def test_cli_and_overlay_refuse_the_same_pue(cli: CliRun, tmp_path: Path) -> None:
    line = assert_one_line_exit_2(*cli(["train", "llama-2-7b", "--pue", "0.5", "--samples", "10"]))
    assert "pue: must be >= 1" in line
    path = write(tmp_path, "mine.toml", _default("pue", "value = 0.5"))
    assert_one_line_exit_2(*cli(["train", "llama-2-7b", "--samples", "10", "--catalog", str(path)]))
    ok = write(tmp_path, "ok.toml", _default("pue", "value = 1.3"))
    code, out, err = cli(["train", "llama-2-7b", "--samples", "10", "--json", "--catalog", str(ok)])
    assert code == 0, err
    pue = next(i for i in json.loads(out)["inputs"] if i["name"] == "pue")
    assert pue["low"] == pue["high"] == 1.3


def test_overlay_may_override_a_bundled_id_once(cli: CliRun, tmp_path: Path) -> None:
    text = _default("goodput", "low = 0.8, high = 0.9") + (
        '\n[[mfu_prior]]\ngeneration = "hopper"\ndtype = "bf16"\n'
        'mfu = { value = 0.3, source = "costlm-assumption", locator = "x" }\n'
    )
    code, out, err = cli(["catalog", "check", str(write(tmp_path, "mine.toml", text))])
    assert code == 0 and "32 MFU priors" in out, err


# --- 7. source URLs: http(s) only ---------------------------------------------------------------

BAD_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file:///etc/passwd",
    "vbscript:msgbox(1)",
    "//example.org/no-scheme",
    "https://",
    "https://example.org/a b",
    "https://example.org/\njavascript:alert(1)",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_overlay_source_url_must_be_http(cli: CliRun, tmp_path: Path, url: str) -> None:
    text = SOURCE.replace('"https://example.org/quote"', json.dumps(url)) + RUN
    path = write(tmp_path, "mine.toml", text)
    line = assert_one_line_exit_2(*cli(["catalog", "check", str(path)]))
    assert "mine.toml: source 'my-quote': field 'url': Value error," in line
    assert "is not an http(s) URL" in line


def test_report_never_links_a_non_http_url(tmp_path: Path) -> None:
    from costlm.report import page

    data = api.report_data(["llama-2-7b"], samples=100, seed=0)
    linked = [src for src in data.sources if src.url is not None]
    good, victim = linked[0], linked[1]
    bad = Source.model_construct(**{**victim.model_dump(), "url": "javascript:alert(1)"})  # skips validation
    sources = [bad if src.id == victim.id else src for src in data.sources]
    html = page.render(data.model_copy(update={"sources": sources}), "en")
    assert "javascript:" not in html and f'id="src-{victim.id}"' in html
    assert f'<a href="{good.url}">{good.url}</a>' in html
    assert is_http_url("https://example.org/x?a=1") and is_http_url("HTTP://EXAMPLE.ORG")
    assert not any(is_http_url(url) for url in BAD_URLS)


# --- fuzz-style: several malicious inputs per class, one contract ------------------------------
# Seeded (a fresh clone draws the same inputs); each must end in exit 2 and one stderr line.

FUZZ = random.Random(8)


def _near_miss(ident: str) -> str:
    """``ident`` with one character dropped, doubled or swapped."""
    i = FUZZ.randrange(1, len(ident) - 1)
    return FUZZ.choice(
        [ident[:i] + ident[i + 1 :], ident[:i] + ident[i] + ident[i:], ident[:i] + "x" + ident[i:]]
    )


NEAR_MISSES = [
    *(
        SOURCE + RUN.replace('hardware = "h100-sxm"', f'hardware = "{_near_miss("h100-sxm")}"')
        for _ in range(3)
    ),
    *(
        SOURCE + RUN.replace('model = "llama-2-7b"', f'model = "{_near_miss("llama-2-7b")}"')
        for _ in range(3)
    ),
    *(SOURCE + RUN.replace('source = "my-quote"', f'source = "{_near_miss("my-quote")}"') for _ in range(3)),
    *(CLAIM.replace('gpu = "h100"', f'gpu = "{_near_miss("a100-80gb")}"') for _ in range(3)),
    *(CLAIM.replace('subject = "llama-3-70b"', f'subject = "{_near_miss("deepseek-v3")}"') for _ in range(3)),
]
HUGE = ["9" * FUZZ.randrange(310, 4300) for _ in range(4)]
HUGE_INPUTS = [
    *(["catalog", "check", f"TOML:{SOURCE}{RUN.replace('year = 2026', f'year = {h}')}"] for h in HUGE[:2]),
    *(["check", "--file", f"TOML:{CLAIM.replace('value = 100', f'value = {h}')}"] for h in HUGE[2:]),
    *(
        ["serve", "--config", "JSON:" + json.dumps({**CONFIG, field: "HUGE"}).replace('"HUGE"', h)]
        for field, h in zip(["vocab_size", "hidden_size", "head_dim", "num_local_experts"], HUGE, strict=True)
    ),
    *(
        ["serve", "llama-3-70b", opt, h]
        for opt, h in zip(["--n-gpus", "--batch", "--target-batch"], HUGE, strict=False)
    ),
    *(["train", "--params", h, "--tokens", "1T", "--gpu", "h100", "--n-gpus", "8"] for h in HUGE[:2]),
]
DEEP = ["".join(FUZZ.choice(["[", '{"a":']) for _ in range(FUZZ.randrange(65, 200_000))) for _ in range(4)]
DEEP_TOML = [
    "a = " + "".join(FUZZ.choice(["[", "{b = "]) for _ in range(FUZZ.randrange(65, 50_000))) for _ in range(4)
]
OUT_OF_BOUNDS = [
    _default(field, f"value = {value}")
    for field, value in [
        ("pue", FUZZ.uniform(0.01, 0.99)),
        ("pue", FUZZ.uniform(3.01, 100)),
        ("goodput", FUZZ.uniform(1.01, 10)),
        ("serving_utilization", FUZZ.uniform(1e-9, 9e-4)),
        ("power_fraction_training_gpu", FUZZ.uniform(1.01, 5)),
        ("cluster_capex_multiple", FUZZ.uniform(0.01, 0.99)),
    ]
] + [
    '[[mfu_prior]]\ngeneration = "hopper"\ndtype = "bf16"\n'
    f'mfu = {{ value = {FUZZ.uniform(1.01, 100):.3f}, source = "costlm-assumption", locator = "x" }}\n'
    for _ in range(3)
]
SCHEMES = ["javascript", "data", "vbscript", "file", "ftp", "blob", "about"]
URLS = [
    "".join(c.upper() if FUZZ.random() < 0.5 else c for c in scheme)
    + ":"
    + FUZZ.choice(["alert(1)", "//x/y", ""])
    for scheme in SCHEMES
] + [FUZZ.choice([" ", "\t", "\x00", "\x7f"]).join(["https://example.org", "x"]) for _ in range(3)]


def _materialize(argv: list[str], tmp_path: Path) -> list[str]:
    """``TOML:...`` / ``JSON:...`` arguments become files holding that text."""
    out = []
    for i, arg in enumerate(argv):
        kind, _, text = arg.partition(":")
        is_file = kind in ("TOML", "JSON") and text
        out.append(str(write(tmp_path, f"fuzz{i}.{kind.lower()}", text)) if is_file else arg)
    return out


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_fuzz_near_miss_ids(cli: CliRun, tmp_path: Path, text: str) -> None:
    path = str(write(tmp_path, "fuzz.toml", text))
    argv = ["check", "--file", path, "--samples", "10"] if "[[claim]]" in text else ["catalog", "check", path]
    line = assert_one_line_exit_2(*cli(argv))
    assert "unknown" in line and "object at" not in line


@pytest.mark.parametrize("argv", HUGE_INPUTS)
def test_fuzz_huge_integers(cli: CliRun, tmp_path: Path, argv: list[str]) -> None:
    line = assert_one_line_exit_2(*cli(_materialize(argv, tmp_path)))
    assert len(line) < 400 and "Overflow" not in line


@pytest.mark.usefixtures("no_hang")
@pytest.mark.parametrize(
    "path",
    [
        "/dev/zero",
        "/dev/urandom",
        "/dev/full",
        "FIFO",
        "x" * FUZZ.randrange(4097, 10_000),
        "/".join(["d"] * 3000),
        "bad\nname.toml",
        str(Path("/nonexistent") / "x.toml"),
    ],
)
def test_fuzz_files(cli: CliRun, tmp_path: Path, path: str) -> None:
    if path == "FIFO":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)
    for argv in _file_argvs(path):
        line = assert_one_line_exit_2(*cli(argv))
        assert "cannot read '" in line and len(line) < 400


@pytest.mark.parametrize(("name", "text"), [("c.json", d) for d in DEEP] + [("o.toml", d) for d in DEEP_TOML])
def test_fuzz_deep_nesting(cli: CliRun, tmp_path: Path, name: str, text: str) -> None:
    path = str(write(tmp_path, name, text))
    line = assert_one_line_exit_2(
        *cli(["serve", "--config", path] if name.endswith("json") else ["catalog", "check", path])
    )
    assert "RecursionError" not in line


@pytest.mark.parametrize(
    "out",
    ["/dev/null", "/dev/null/sub/dir", "/proc/version", "/" + "o" * 5000, "FILE", "FILE/below", "READONLY/x"],
)
def test_fuzz_report_out(cli: CliRun, tmp_path: Path, out: str) -> None:
    file = write(tmp_path, "a-file", "not a directory")
    readonly = tmp_path / "ro"
    readonly.mkdir()
    (readonly / "x").write_text("", encoding="utf-8")  # --out READONLY/x: exists, is a file
    out = out.replace("FILE", str(file)).replace("READONLY", str(readonly))
    line = assert_one_line_exit_2(*cli(["report", "--models", "llama-2-7b", "--samples", "10", "--out", out]))
    assert "--out: cannot write to '" in line and leftovers(tmp_path) == []


@pytest.mark.parametrize("text", OUT_OF_BOUNDS)
def test_fuzz_out_of_bounds_overlays(cli: CliRun, tmp_path: Path, text: str) -> None:
    line = assert_one_line_exit_2(*cli(["catalog", "check", str(write(tmp_path, "fuzz.toml", text))]))
    assert "fuzz.toml: " in line and "Value error" in line


@pytest.mark.parametrize("url", URLS)
def test_fuzz_source_urls(cli: CliRun, tmp_path: Path, url: str) -> None:
    text = SOURCE.replace('"https://example.org/quote"', json.dumps(url)) + RUN
    line = assert_one_line_exit_2(*cli(["catalog", "check", str(write(tmp_path, "fuzz.toml", text))]))
    assert "field 'url'" in line and not is_http_url(url)


@pytest.mark.parametrize("moment", ["staging", "trash"])
def test_sigterm_right_after_a_directory_is_made_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    """The race a fresh-clone run hit once: SIGTERM between creating a staging (or trash) directory
    and registering it for removal. Creation and registration are one signal-deferred step."""
    import tempfile

    data = api.report_data(["llama-2-7b"], samples=0, seed=0)
    out = tmp_path / "report"
    old_report(out)
    real_mkdir, real_mkdtemp = Path.mkdir, tempfile.mkdtemp

    def mkdir_then_signal(self: Path, *args: object, **kwargs: object) -> None:
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]
        if STAGING_MARK in self.name and moment == "staging":
            os.kill(os.getpid(), signal.SIGTERM)

    def mkdtemp_then_signal(*args: object, **kwargs: object) -> str:
        path = real_mkdtemp(*args, **kwargs)  # type: ignore[call-overload]
        if moment == "trash":
            os.kill(os.getpid(), signal.SIGTERM)
        return str(path)

    monkeypatch.setattr(Path, "mkdir", mkdir_then_signal)
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp_then_signal)
    with pytest.raises(SystemExit) as info:
        write_report(data, out, "en", ["md", "csv"])
    assert info.value.code == 128 + signal.SIGTERM
    assert leftovers(tmp_path) == [] and report_state(out) == "old"
