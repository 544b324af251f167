import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    """Window settings in a file of the test's own, never the user's."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread():
    """What a test left in reference cycles (windows, dialogs) is collected here, on the GUI thread,
    never by a later test's worker thread (see ui/gui_gc.py)."""
    import gc

    yield
    gc.collect()
