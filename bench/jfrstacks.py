"""Aggregate `jfr print --events jdk.ExecutionSample` output: the N most frequent top stacks."""
import collections
import re
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
stacks, cur, total, in_stack = collections.Counter(), [], 0, False
for line in sys.stdin:
    s = line.strip()
    if s.startswith("stackTrace = ["):
        in_stack, cur = True, []
    elif in_stack and s.startswith("]"):
        in_stack = False
        stacks[" <- ".join(cur[:4])] += 1
        total += 1
    elif in_stack and s and s != "...":
        cur.append(re.sub(r"\s+line: \d+.*$", "", s))
print("top stacks (%d execution samples, leaf first, 4 frames):" % total)
for st, c in stacks.most_common(n):
    print("%5.1f%%  %s" % (100.0 * c / max(total, 1), st))
