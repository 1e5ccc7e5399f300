"""Shared fixtures of the parcel-file tests: one rendered batch, the PDF glyph check.

The sample run (``sample_result``) is the session fixture of ``tests/conftest.py``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from pdfcheck import missing_glyphs


@pytest.fixture(scope="session")
def batch_dir():
    path = Path(tempfile.mkdtemp(prefix="lc_reports_"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def batch(sample_result, batch_dir):
    """Every sample parcel on at least one list, HTML + PDF, two workers."""
    from landclear.reports import render_parcel_reports

    return render_parcel_reports(
        sample_result, batch_dir, where="lists>=1", workers=2, progress=False
    )


@pytest.fixture(scope="session")
def no_tofu():
    """``no_tofu(pdf)`` asserts that the PDF draws no missing glyph and shows text."""

    def check(pdf) -> None:
        from pypdf import PdfReader

        assert missing_glyphs(pdf) == [], pdf
        assert "".join(p.extract_text() for p in PdfReader(str(pdf)).pages).strip(), pdf

    return check
