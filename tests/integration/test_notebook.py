"""The example notebook, executed cell by cell in a real IPython kernel (nbclient +
ipykernel), against moto and against the local store."""

from __future__ import annotations

import os
import sys

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from ..servers import moto_reset  # noqa: E402

pytestmark = pytest.mark.integration
NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "notebook.ipynb")


def _run(tmp_path, monkeypatch, store: str | None) -> list[str]:
    # The kernel is this interpreter (the one with acloud installed), whatever PATH says.
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    if store:
        monkeypatch.setenv("ACLOUD_EXAMPLE_STORE", store)
    else:
        monkeypatch.delenv("ACLOUD_EXAMPLE_STORE", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the cell that failed
    text = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                pytest.fail(f"{out['ename']}: {out['evalue']}")
            data = out.get("data", {})
            text.append(out.get("text", "") + str(data.get("text/plain", "")))
            if "application/vnd.jupyter.widget-view+json" in data:
                text.append("<a progress widget>")
    return text


def _check(outputs: list[str]) -> None:
    joined = "\n".join(outputs)
    assert "<a progress widget>" in joined  # tqdm drew its Jupyter widget
    assert "transferred 201 files" in joined
    assert "0 failed" in joined
    assert (
        "[('day-0', 50), ('day-1', 50), ('day-2', 50), ('day-3', 50), ('index.csv', 1)]" in joined
    )
    assert "total images: 200" in joined
    assert "closed: True" in joined


def test_the_example_notebook_runs_against_moto(tmp_path, monkeypatch, moto_endpoint):
    store = f"s3://notebook-{os.getpid()}/demo/?endpoint={moto_endpoint}&addressing=path"
    try:
        _check(_run(tmp_path, monkeypatch, store))
    finally:
        moto_reset(moto_endpoint)


def test_the_example_notebook_runs_against_the_local_store(tmp_path, monkeypatch):
    _check(_run(tmp_path, monkeypatch, None))
