#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for tests and for trying the job-array scripts.
#
#   scripts/slurm/cluster.sh start DIR   # munged, slurmctld, slurmd; prints `export SLURM_CONF=…`
#   scripts/slurm/cluster.sh stop DIR    # stops exactly the daemons it started (by process id)
#
# Needs root and Debian's slurm-wlm and munge (`make slurm-setup` installs them). Everything the
# cluster writes (config, key, sockets, state, logs, pid files) stays in DIR; the system's own
# /etc/slurm and /etc/munge are not touched. This host is the only node and partition, with its
# cores as CPUs; SlurmUser=root, proctrack/linuxproc, task/none, select/cons_tres.
set -euo pipefail

command=${1:-}
dir=${2:-}
if [[ -z "$command" || -z "$dir" ]]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop() {
    local status=0
    # In reverse order of start; each only if its pid file names a live process we started.
    for daemon in slurmd slurmctld munged; do
        local pidfile="$dir/$daemon.pid"
        [[ -f "$pidfile" ]] || continue
        local pid
        pid=$(cat "$pidfile")
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            if kill -0 "$pid" 2>/dev/null; then
                echo "cluster.sh: $daemon (pid $pid) did not stop on SIGTERM; killing it" >&2
                kill -9 "$pid" 2>/dev/null || true
            fi
        fi
        rm -f "$pidfile"
    done
    return $status
}

start() {
    for tool in munged slurmctld slurmd sinfo; do
        if ! command -v "$tool" >/dev/null; then
            echo "cluster.sh: $tool not found: install slurm-wlm and munge (make slurm-setup)" >&2
            exit 1
        fi
    done
    if [[ $(id -u) != 0 ]]; then
        echo "cluster.sh: the single-node cluster runs its daemons as root (SlurmUser=root); run as root" >&2
        exit 1
    fi
    local host cpus memory
    host=$(hostname -s)
    cpus=$(nproc)
    memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
    mkdir -p "$dir/ctld" "$dir/spool" "$dir/munge"
    chmod 700 "$dir/munge"

    # munge: our own key and socket.
    if [[ ! -f "$dir/munge/munge.key" ]]; then
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
        chmod 400 "$dir/munge/munge.key"
    fi
    munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" \
        --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed"

    cat > "$dir/slurm.conf" <<CONF
ClusterName=monge
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=${MONGE_SLURMCTLD_PORT:-6817}
SlurmdPort=${MONGE_SLURMD_PORT:-6818}
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF"
    # Ready when the node is idle (or mixed/allocated) in sinfo.
    for _ in $(seq 1 150); do
        local state
        state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
        if [[ "$state" == idle* || "$state" == mix* || "$state" == alloc* ]]; then
            echo "export SLURM_CONF=$dir/slurm.conf"
            return 0
        fi
        sleep 0.2
    done
    echo "cluster.sh: the node did not come up within 30 s (state '${state:-none}'); logs in $dir:" >&2
    tail -n 20 "$dir"/slurmctld.log "$dir"/slurmd.log "$dir"/munged.log >&2 || true
    stop
    exit 1
}

case "$command" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
