"""Launchers: a submitit_local sweep in real subprocesses; the SLURM example cluster file.

(The joblib launcher runs the wandb test's sweep, in tests/test_wandb.py.)

No SLURM cluster is reachable from the tests. `fake_slurm` puts stand-ins for sbatch, srun,
sacct and scontrol on PATH: sbatch keeps the batch script that submitit wrote from our example
cluster file and runs it (one process per array task, with the SLURM_* variables a real node
sets); srun runs the job step; scontrol requeue reruns a task once its process has exited, as
SLURM does. So the test follows the whole submitit path, from the generated sbatch script to the
time-limit signal, the checkpoint hook, the requeue and the resumed job, everything except the
scheduler itself.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from missdiff.records import COMPLETED, iter_records
from tests.conftest import CONFIG_DIR, REPO, compose

FAKE_SLURM = r"""
import json, os, re, subprocess, sys, time
from pathlib import Path

state = Path(os.environ["FAKE_SLURM_DIR"])
state.mkdir(exist_ok=True)
tool = Path(sys.argv[0]).name


def alive(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def launch(name):
    job = json.loads((state / f"job-{name}.json").read_text())
    with open(state / f"{name}.out", "a") as log:
        proc = subprocess.Popen(["bash", job["script"]], env=job["env"], stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    (state / f"pid-{name}").write_text(str(proc.pid))


if tool == "sbatch":
    text = Path(sys.argv[-1]).read_text()
    jid = str(4200 + len(list(state.glob("sbatch-*.sh"))))
    script = state / f"sbatch-{jid}.sh"
    script.write_text(text)
    flags = dict(re.findall(r"^#SBATCH --([\w-]+)=?(.*)$", text, re.M))
    tasks = [None]
    if "array" in flags:
        lo, hi = re.match(r"(\d+)-(\d+)", flags["array"]).groups()
        tasks = list(range(int(lo), int(hi) + 1))
    for n, task in enumerate(tasks):
        env = dict(os.environ, SLURM_JOB_ID=str(int(jid) + 1 + n), SLURM_NTASKS="1",
                   SLURM_PROCID="0", SLURM_LOCALID="0", SLURM_NODEID="0",
                   SLURM_JOB_NUM_NODES="1", SLURM_JOB_NODELIST="fakenode1",
                   SLURM_CPUS_PER_TASK=flags.get("cpus-per-task", "1"))
        name = jid
        if task is not None:
            env.update(SLURM_ARRAY_JOB_ID=jid, SLURM_ARRAY_TASK_ID=str(task))
            name = f"{jid}_{task}"
        (state / f"job-{name}.json").write_text(json.dumps({"script": str(script), "env": env}))
        launch(name)
    print(f"Submitted batch job {jid}")
elif tool == "srun":
    args, files = sys.argv[1:], {}
    while args and args[0].startswith("--"):
        flag = args.pop(0)
        if flag in ("--output", "--error"):
            files[flag] = args.pop(0)
    subst = {"%A": os.environ.get("SLURM_ARRAY_JOB_ID", ""), "%a": os.environ.get(
        "SLURM_ARRAY_TASK_ID", ""), "%j": os.environ["SLURM_JOB_ID"], "%t": "0"}
    for flag, fd in (("--output", 1), ("--error", 2)):
        if flag in files:
            path = files[flag]
            for k, v in subst.items():
                path = path.replace(k, v)
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND), fd)
    os.execvp(args[0], args)
elif tool == "sacct":
    print("JobID|State|NodeList")  # nothing known: submitit waits for the result files
elif tool == "scontrol":
    assert sys.argv[1] == "requeue", sys.argv
    name = sys.argv[2]
    with open(state / "requeued", "a") as f:
        f.write(name + "\n")
    if os.fork() == 0:  # SLURM requeues a job once it has stopped: wait, then start it again
        os.setsid()
        old = int((state / f"pid-{name}").read_text())
        while alive(old):
            time.sleep(0.05)
        launch(name)
"""


def fake_slurm(root: Path) -> dict[str, str]:
    """A PATH with the SLURM stand-ins, and the folder where they keep their state."""
    bin_dir = root / "fake_slurm_bin"
    bin_dir.mkdir()
    tool = bin_dir / "fake_slurm.py"
    # -S: the stand-ins need no site-packages (nor the test model's sitecustomize).
    tool.write_text(f"#!{sys.executable} -S\n{FAKE_SLURM}")
    tool.chmod(0o755)
    for name in ("sbatch", "srun", "sacct", "scontrol"):
        (bin_dir / name).symlink_to(tool)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_SLURM_DIR": str(root / "slurm_state"),
    }


def model_site(root: Path) -> dict[str, str]:
    """Make the checkpointing test model of test_fault_tolerance.py known in every job process."""
    site = root / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "from tests.test_fault_tolerance import register_test_model\nregister_test_model()\n"
    )
    return {"PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}


def run_cli(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "missdiff.run", *args],
        cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout + proc.stderr


def test_submitit_local_sweep_runs_jobs_in_their_own_processes(tmp_path, data_dir) -> None:
    records, sweep = tmp_path / "runs", tmp_path / "sweep"
    env = {"MISSDIFF_DATA_DIR": str(data_dir)}
    args = ["-m", "hydra/launcher=submitit_local", "dataset=wine,breast", "model=mean_mode",
            "profile=smoke", f"records_dir={records}", f"hydra.sweep.dir={sweep}"]  # fmt: skip
    out = run_cli(args, tmp_path, env)
    assert "Submitit 'local'" in out
    recs = list(iter_records(records))
    assert sorted(r.config["dataset"]["name"] for r in recs) == ["breast", "wine"]
    assert all(r.status == COMPLETED and r.metrics["device"] in ("cpu", "cuda") for r in recs)
    # One submitit job (own process, own pid as job id) per run, each with its result file.
    jobs = [p for p in (sweep / ".submitit").iterdir() if p.name.isdigit()]
    assert len(jobs) == 2 and all(list(j.glob("*_result.pkl")) for j in jobs)


def test_slurm_example_file_composes() -> None:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from missdiff.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = hydra_compose(
            config_name="config",
            overrides=["hydra/launcher=slurm_example", "experiment=mechanisms"],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")  # extends the plugin's submitit_slurm
    assert launcher.partition and launcher.gres == "gpu:1" and launcher.cpus_per_task >= 1
    assert launcher.mem_gb and launcher.timeout_min > 0 and launcher.array_parallelism > 0
    assert launcher.max_num_timeout > 0  # resubmission after a time limit is on
    assert any("activate" in line for line in launcher.setup)
    assert cfg.hydra.sweeper.params.seed == "0,1,2"  # the experiment's sweep is unchanged
    assert compose(["logger=wandb"]).logger.mode == "offline"


def test_slurm_sweep_resumes_a_timed_out_job_from_its_checkpoint(tmp_path, data_dir) -> None:
    records, sweep = tmp_path / "runs", tmp_path / "sweep"
    env = {**fake_slurm(tmp_path), **model_site(tmp_path), "MISSDIFF_DATA_DIR": str(data_dir)}
    # The example file's setup line sources .venv/bin/activate from the submission folder.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "activate").write_text(f"touch {tmp_path / 'setup_ran'}\n")
    # timeout_min=1: any signal then counts as a time limit (submitit's rule: after
    # min(80%, limit - 10 min) of the limit), so the requeue uses up one of max_num_timeout.
    args = ["-m", "hydra/launcher=slurm_example", "hydra.launcher.timeout_min=1",
            "dataset=wine,breast", "model=ckpt_mean", "model.epochs=20",
            "model.epoch_seconds=0.2", "profile=smoke", f"records_dir={records}",
            f"hydra.sweep.dir={sweep}"]  # fmt: skip
    driver = subprocess.Popen(
        [sys.executable, "-m", "missdiff.run", *args], cwd=tmp_path, env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        # Wait until a job has trained a few epochs, then send what SLURM sends before the time
        # limit (USR2, signal_delay_s ahead) to the process that trains.
        ckpts, deadline = records / ".checkpoints", time.monotonic() + 240
        state = None
        while time.monotonic() < deadline and driver.poll() is None:
            for path in ckpts.glob("*/state.json") if ckpts.exists() else []:
                s = json.loads(path.read_text())
                if s["epoch"] >= 2 and state is None:
                    os.kill(s["pid"], signal.SIGUSR2)
                    state = s
            if state is not None:
                break
            time.sleep(0.1)
        assert state is not None, "no job reached epoch 2"
        out, _ = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 0, out[-4000:]

    # The batch script was built from the example cluster file.
    (script,) = (tmp_path / "slurm_state").glob("sbatch-*.sh")
    text = script.read_text()
    # (submitit caps the array's parallelism at its size: %2 for two jobs.)
    flags = ["--partition=gpu", "--gres=gpu:1", "--cpus-per-task=4", "--mem=16GB", "--time=1",
             "--signal=USR2@120", "--array=0-1%2", "--job-name=missdiff"]  # fmt: skip
    for flag in flags:
        assert f"#SBATCH {flag}" in text, flag
    assert "source .venv/bin/activate" in text and (tmp_path / "setup_ran").exists()

    # The signalled job was requeued once under its own id and resumed from its checkpoint.
    (requeued,) = (tmp_path / "slurm_state" / "requeued").read_text().split()
    assert re.fullmatch(r"\d+_[01]", requeued)
    recs = {r.config["dataset"]["name"]: r for r in iter_records(records)}
    assert sorted(recs) == ["breast", "wine"]
    assert all(r.status == COMPLETED for r in recs.values())
    starts = sorted(tuple(r.metrics["history"]["starts"]) for r in recs.values())
    assert starts[0] == (0,) and starts[1][0] == 0 and starts[1][1] >= state["epoch"]
    assert all(len(r.metrics["history"]["loss"]) == 20 for r in recs.values())
    logs = "".join(p.read_text() for p in (sweep / ".submitit").glob("*/*_log.*"))
    assert "this job is timed-out" in logs and "(4 remaining timeouts)" in logs
    assert not any((records / ".checkpoints").iterdir())  # removed with each finished record
