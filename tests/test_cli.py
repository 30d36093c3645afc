"""Tests of the ``scenefold`` command, run as ``python -m scenefold.cli`` subprocesses.

Every run gets ``--store`` or an environment whose default store lies in
``tmp_path``, so no user store is read or written. Tests marked ``wordnet`` share
one store of the first 300 synsets of WordNet 3.0, built with ``build wordnet``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scenefold.lexicon import Lexicon
from scenefold.render import LEVELS

BUILD_LIMIT = "300"


def isolated_env(folder: Path) -> dict[str, str]:
    """Return an environment whose default store and data folder lie in ``folder``."""
    return {
        **os.environ,
        "SCENEFOLD_STORE": str(folder / "default" / "lexicon.sqlite"),
        "XDG_DATA_HOME": str(folder / "data"),
    }


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scenefold.cli", *args],
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path)


# --- usage ------------------------------------------------------------------------

COMMAND_OPTIONS = {
    "build": [
        "{wordnet}",
        "--wordnet",
        "--nrc",
        "--no-nrc",
        "--batch-size",
        "--limit",
        "--dim",
        "--seed",
        "--store",
    ],
    "unfold": [
        "concept",
        "--level",
        "--register",
        "--depth",
        "--senses",
        "--json",
        "--store",
    ],
    "eval": ["--sample", "--seed", "--json", "--store"],
    "fold": ["formula", "--file", "--json", "--save", "--level", "--store"],
    "demo": ["--level", "--dim", "--seed"],
    "info": ["--store"],
}


@pytest.mark.parametrize("command", sorted(COMMAND_OPTIONS))
def test_help_lists_options(env: dict[str, str], command: str) -> None:
    result = run_cli(env, command, "--help")
    assert result.returncode == 0, result.stderr
    for option in COMMAND_OPTIONS[command]:
        assert option in result.stdout, option


def test_help_lists_commands(env: dict[str, str]) -> None:
    result = run_cli(env, "--help")
    assert result.returncode == 0
    for command in COMMAND_OPTIONS:
        assert command in result.stdout, command


def test_unknown_option(env: dict[str, str]) -> None:
    result = run_cli(env, "fold", "--bogus", "a = b")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr


def test_missing_command(env: dict[str, str]) -> None:
    result = run_cli(env)
    assert result.returncode == 2
    assert "usage: scenefold" in result.stderr


# --- demo and fold ----------------------------------------------------------------


def test_demo_prints_every_level(env: dict[str, str]) -> None:
    result = run_cli(env, "demo")
    assert result.returncode == 0, result.stderr
    for level in LEVELS:
        assert f"[{level}]" in result.stdout, level
    assert "5 of 5 symbols unfolded exactly" in result.stdout


def test_fold_formula(env: dict[str, str]) -> None:
    result = run_cli(env, "fold", "a = b * c")
    assert result.returncode == 0, result.stderr
    assert "a  (exact, 1 items)" in result.stdout
    assert "b → c" in result.stdout


def test_fold_json(env: dict[str, str]) -> None:
    result = run_cli(env, "fold", "a = b * c + d", "--json")
    assert result.returncode == 0, result.stderr
    [unfolding] = json.loads(result.stdout)
    assert unfolding["exact"] is True
    assert unfolding["formula"] == "a = d + b * c"
    assert len(unfolding["items"]) == 2


def test_fold_file_from_stdin(env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scenefold.cli", "fold", "--file", "-"],
        input="a = b\nc = @a + d\n",
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "c  (exact, 2 items)" in result.stdout


def test_fold_invalid_formula(env: dict[str, str]) -> None:
    result = run_cli(env, "fold", "a = b\nc = (d")
    assert result.returncode == 2
    assert "invalid formula: line 2, column 7" in result.stderr
    assert result.stdout == ""


def test_fold_leaves_default_store_alone(env: dict[str, str]) -> None:
    result = run_cli(env, "fold", "a = b * c")
    assert result.returncode == 0
    assert not Path(env["SCENEFOLD_STORE"]).exists()


# --- commands without a store -----------------------------------------------------


def test_unfold_missing_store(env: dict[str, str], tmp_path: Path) -> None:
    store = tmp_path / "x.sqlite"
    result = run_cli(env, "unfold", "loss", "--store", str(store))
    assert result.returncode == 1
    assert "scenefold build wordnet" in result.stderr
    assert str(store) in result.stderr
    assert not store.exists()


def test_eval_missing_store(env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(env, "eval", "--store", str(tmp_path / "x.sqlite"))
    assert result.returncode == 1
    assert "scenefold build wordnet" in result.stderr


def test_info_without_store(env: dict[str, str]) -> None:
    result = run_cli(env, "info")
    assert result.returncode == 0, result.stderr
    assert "not built yet" in result.stdout
    assert env["SCENEFOLD_STORE"] in result.stdout
    assert not Path(env["SCENEFOLD_STORE"]).exists()


def test_eval_sample_below_one(env: dict[str, str]) -> None:
    result = run_cli(env, "eval", "--sample", "0")
    assert result.returncode == 2
    assert "--sample must be at least 1" in result.stderr


def test_build_batch_size_below_one(env: dict[str, str], tmp_path: Path) -> None:
    store = tmp_path / "x.sqlite"
    result = run_cli(
        env, "build", "wordnet", "--batch-size", "0", "--store", str(store)
    )
    assert result.returncode == 2
    assert "--batch-size must be at least 1" in result.stderr
    assert not store.exists()


def test_build_missing_wordnet(env: dict[str, str], tmp_path: Path) -> None:
    store = tmp_path / "x.sqlite"
    result = run_cli(
        env,
        "build",
        "wordnet",
        "--wordnet",
        str(tmp_path / "nope"),
        "--store",
        str(store),
    )
    assert result.returncode == 1
    assert "apt-get install wordnet-base" in result.stderr


# --- a store of 300 WordNet synsets -----------------------------------------------


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, wordnet_root: Path, nrc_file: Path
) -> tuple[dict[str, str], Path, subprocess.CompletedProcess[str]]:
    """Run ``build wordnet --limit 300``, and return the environment, store and run."""
    folder = tmp_path_factory.mktemp("cli")
    env = isolated_env(folder)
    store = folder / "lexicon.sqlite"
    result = run_cli(
        env, "build", "wordnet", "--limit", BUILD_LIMIT, "--store", str(store)
    )
    return env, store, result


def run_on_store(built, *args: str) -> subprocess.CompletedProcess[str]:
    env, store, _ = built
    return run_cli(env, *args, "--store", str(store))


@pytest.mark.wordnet
def test_build_reports_counts(built) -> None:
    _, store, result = built
    assert result.returncode == 0, result.stderr
    assert f"building wordnet into {store}" in result.stdout
    assert "folded 300 (0 already stored)" in result.stdout
    assert "0 malformed lines" in result.stdout


@pytest.mark.wordnet
def test_build_leaves_default_store_alone(built) -> None:
    env, _, _ = built
    assert not Path(env["SCENEFOLD_STORE"]).exists()


@pytest.mark.wordnet
def test_info_shows_count(built) -> None:
    _, store, _ = built
    result = run_on_store(built, "info")
    assert result.returncode == 0, result.stderr
    assert f"store: {store}" in result.stdout
    assert "symbols: 300" in result.stdout
    assert "wordnet import: partial, 300 synsets" in result.stdout


@pytest.mark.wordnet
def test_unfold_formula_level(built) -> None:
    _, store, _ = built
    with Lexicon(store) as lexicon:
        formula = lexicon.get("entity.n.01").formula
    result = run_on_store(built, "unfold", "entity.n.01", "--level", "formula")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == formula


@pytest.mark.wordnet
def test_unfold_all_levels(built) -> None:
    result = run_on_store(built, "unfold", "entity.n.01", "--level", "all")
    assert result.returncode == 0, result.stderr
    for level in LEVELS:
        assert f"[{level}]" in result.stdout, level


@pytest.mark.wordnet
def test_unfold_json_items(built) -> None:
    result = run_on_store(built, "unfold", "entity.n.01", "--json")
    assert result.returncode == 0, result.stderr
    [unfolding] = json.loads(result.stdout)
    assert unfolding["name"] == "entity.n.01"
    assert unfolding["exact"] is True
    assert unfolding["reasons"] == []
    labels = {
        (item["register"], item["key"], item["label"]) for item in unfolding["items"]
    }
    assert ("main", "", "entity") in labels
    assert ("logic", "lexname", "noun.Tops") in labels


@pytest.mark.wordnet
def test_unfold_word_lists_senses(built) -> None:
    result = run_on_store(built, "unfold", "retreat", "--level", "symbol")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines == [
        "retreat: 3 senses",
        "retreat.n.01",
        "retreat.n.07",
        "retirement.n.03",
    ]


@pytest.mark.wordnet
def test_unfold_senses_limit(built) -> None:
    result = run_on_store(built, "unfold", "Retreat", "--senses", "2", "--json")
    assert result.returncode == 0, result.stderr
    names = [unfolding["name"] for unfolding in json.loads(result.stdout)]
    assert names == ["retreat.n.01", "retreat.n.07"]


@pytest.mark.wordnet
def test_unfold_unknown_concept(built) -> None:
    result = run_on_store(built, "unfold", "entiti")
    assert result.returncode == 1
    assert "'entiti' not found" in result.stderr
    assert "nearest: entity" in result.stderr
    assert result.stdout == ""


@pytest.mark.wordnet
def test_unfold_one_register(built) -> None:
    result = run_on_store(
        built, "unfold", "food.n.01", "--register", "emotion", "--level", "formula"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "food.n.01 = emotion: (joy + positive + trust)"


@pytest.mark.wordnet
def test_eval_json_exact(built) -> None:
    result = run_on_store(built, "eval", "--sample", "50", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["evaluated"] == 50
    assert report["exact_share"] == 1.0
    assert report["failures"] == {}


@pytest.mark.wordnet
def test_eval_text(built) -> None:
    result = run_on_store(built, "eval", "--sample", "20")
    assert result.returncode == 0, result.stderr
    assert "unfolded 20 symbols: 20 reconstructed exactly" in result.stdout


@pytest.mark.wordnet
def test_build_again_skips_stored(built, tmp_path: Path) -> None:
    env, source, _ = built
    store = tmp_path / "lexicon.sqlite"
    shutil.copyfile(source, store)
    result = run_cli(env, "build", "wordnet", "--limit", "5", "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "folded 5 (300 already stored)" in result.stdout


@pytest.mark.wordnet
def test_build_new_store_with_dim(
    env: dict[str, str], tmp_path: Path, wordnet_root: Path
) -> None:
    store = tmp_path / "x.sqlite"
    args = ["--limit", "5", "--no-nrc", "--dim", "4096", "--store", str(store)]
    result = run_cli(env, "build", "wordnet", *args)
    assert result.returncode == 0, result.stderr


@pytest.mark.wordnet
def test_build_other_dim_into_existing_store(built, tmp_path: Path) -> None:
    env, source, _ = built
    store = tmp_path / "lexicon.sqlite"
    shutil.copyfile(source, store)
    args = ["--limit", "1", "--no-nrc", "--dim", "4096", "--store", str(store)]
    result = run_cli(env, "build", "wordnet", *args)
    assert result.returncode == 1, result.stdout


# --- saving folded formulas into the store ----------------------------------------


@pytest.fixture(scope="module")
def saved(
    built, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], Path, subprocess.CompletedProcess[str]]:
    """Copy the built store and save ``x = @entity.n.01 + y`` into the copy."""
    env, source, _ = built
    store = tmp_path_factory.mktemp("saved") / "lexicon.sqlite"
    shutil.copyfile(source, store)
    formula = "x = @entity.n.01 + y"
    result = run_cli(env, "fold", formula, "--save", "--store", str(store))
    return env, store, result


@pytest.mark.wordnet
def test_fold_save_reports(saved) -> None:
    _, store, result = saved
    assert result.returncode == 0, result.stderr
    assert "x  (exact, 2 items)" in result.stdout
    assert f"saved 1 symbols to {store}" in result.stdout


@pytest.mark.wordnet
def test_fold_save_stores_symbol(saved) -> None:
    _, store, _ = saved
    with Lexicon(store) as lexicon:
        assert lexicon.names("user") == ["x"]
        assert lexicon.get("x").formula == "x = y + @entity.n.01"
        assert len(lexicon) == 301


@pytest.mark.wordnet
def test_fold_save_then_unfold(saved) -> None:
    env, store, _ = saved
    result = run_cli(env, "unfold", "x", "--level", "formula", "--store", str(store))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "x = y + @entity.n.01"


@pytest.mark.wordnet
def test_fold_ref_to_saved_scene(saved) -> None:
    env, store, _ = saved
    result = run_cli(env, "fold", "z = @x + q", "--store", str(store))
    assert result.returncode == 0, result.stderr


@pytest.mark.wordnet
def test_unfold_blind_matches_stored(built) -> None:
    _, store, _ = built
    with Lexicon(store) as lexicon:
        formula = lexicon.get("entity.n.01").formula
    result = run_on_store(
        built, "unfold", "entity.n.01", "--blind", "--level", "formula"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == formula
