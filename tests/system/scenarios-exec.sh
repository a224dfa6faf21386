# scenarios-exec.sh: the system suite's scenarios, part 3 of 5: husk exec
# and snapshots (see scenarios.sh for the directory they run in).

CMD="console=ttyS0 quiet"

# scenario NAME CMD... and linux NAME KERNEL ARGS... -- COMMAND
. "$(dirname "$0")/scenario-lib.sh"

# husk exec: exec.sh.
. ./exec.sh
# Snapshots and the control socket: snapshot.sh.
. ./snapshot.sh
