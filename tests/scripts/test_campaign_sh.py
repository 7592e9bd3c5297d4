"""scripts/campaign.sh: background sessions are niced as a scheduling group too.

With the kernel's autogroup scheduling each ``setsid`` session is a group with its own
fair share, so a process's nice value alone does not make a background job yield to a
timed one; ``niced_session`` sets both.  The function is run on its own here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "campaign.sh"
AUTOGROUP = Path("/proc/self/autogroup")


def test_niced_session_nices_the_process_and_its_new_session() -> None:
    sid = '$(ps -o sid= -p $$ | tr -d "[:space:]")'
    probe = f"echo nice=$(nice); cat /proc/self/autogroup 2>/dev/null; echo sid={sid}"
    command = (
        f'source <(sed -n "/^niced_session()/,/^}}/p" {SCRIPT}); '
        f"(niced_session 7 sh -c '{probe}') & wait; echo parent_sid={sid}"
    )
    out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    assert lines["nice"] == "7"
    assert lines["sid"].isdigit() and lines["parent_sid"].isdigit()
    assert lines["sid"] != lines["parent_sid"]  # a session of its own
    if AUTOGROUP.exists():  # kernels built with autogroup scheduling
        assert "nice 7" in out.stdout
