"""`make bench` in miniature: it runs, prints its table, and the servers stay healthy.

The figures are not asserted: on a shared CI machine they say more about the neighbours
than about the code. What must hold is that every phase ran against both configurations.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench import instances, store_append

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(150)
def test_the_quick_benchmark_prints_its_table_and_the_servers_stay_healthy(tmp_path):
    figures_path = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench.run", "--quick", "--json", str(figures_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    table = result.stdout
    assert "naive/tuned" in table
    assert "CPU per analysed participant, 3 in rooms" in table
    assert "the same, a backlit tilted face, 3 in rooms" in table
    assert "mean of the conditions" in table
    assert "tuned servers: healthy" in table
    assert "baseline servers: healthy" in table
    assert "bare aiohttp relay servers: healthy" in table
    tuned, naive, relay = json.loads(figures_path.read_text())
    assert relay["signals_per_second"] > 0 and relay["healthy"] == []
    for figures in (tuned, naive):
        assert figures["first_frame_after_connecting"], figures["name"]
        assert figures["signals_per_second"] > 0, figures["name"]
        assert figures["healthy"] == []
        assert figures["cpu_per_backlit_participant"], figures["name"]
    assert tuned["face_leaves"] and tuned["camera_off_reported"] and tuned["soak"]


async def test_the_store_append_bench_measures_both_backends(postgres_cluster):
    rates = await store_append.compare(postgres_cluster, events=40, sessions=3, tasks=4)

    assert list(rates) == ["SQLite", "PostgreSQL"]
    assert all(rate.events_per_second > 0 for rate in rates.values())


@pytest.mark.timeout(150)
async def test_the_instances_bench_measures_every_load_on_every_layout(postgres_cluster):
    plan = instances.Plan.quick()

    results = await instances.compare(postgres_cluster, plan)

    layouts = [layout.name for layout in instances.LAYOUTS]
    assert list(results) == [instances.SIGNALLING, instances.BUSY_CAMERAS]
    for load, by_layout in results.items():
        assert list(by_layout) == layouts
        for layout, measured in by_layout.items():
            assert measured.done > 0 and measured.server_cores > 0, (load, layout)
            assert measured.problems == [], (load, layout)
        assert by_layout[instances.SQLITE.name].postgres_cores is None
    # Signals between instances go through PostgreSQL.
    assert results[instances.SIGNALLING][instances.TWO.name].postgres_cores
    assert "2 instances / 1 (PostgreSQL)" in instances.table(results, plan)
