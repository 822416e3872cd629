# What hostile notebook code tries, to reach the owner's secrets. It is given only SHA-256 digests of
# what it hunts (the owner's planted secret, the Jupyter token) and reports where it found a match,
# so output redaction can neither hide a find nor leak a value.
import ctypes, errno, hashlib, json, os, tempfile

OWNER_PID = {{OWNER_PID}}
SERVER_PID = {{SERVER_PID}}
# ptrace and (un)mounting /proc are tried only inside a fresh namespace (PID 1 there): run without
# isolation as root they would stop the owner and unmount the machine's /proc.
HOSTILE = {{HOSTILE}} and os.getpid() == 1
TARGETS = json.loads('{{TARGETS}}')  # digest -> what it is
libc = ctypes.CDLL(None, use_errno=True)
report = {"pid": os.getpid(), "ppid": os.getppid(), "hits": [], "direct": {}, "signal": {}, "visible": []}

def check(value, where):
    found = TARGETS.get(hashlib.sha256(value).hexdigest()) if value else None
    if found and found + "@" + where not in report["hits"]:
        report["hits"].append(found + "@" + where)

def errname(error):
    return errno.errorcode.get(error.errno, str(error.errno)) if isinstance(error, OSError) else type(error).__name__

# 1. Every process this kernel can see, and every variable in each environment (and its reverse).
for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    report["visible"].append(int(entry))
    for kind in ("environ", "cmdline"):
        try:
            with open("/proc/%s/%s" % (entry, kind), "rb") as handle:
                for item in handle.read().split(b"\0"):
                    value = item.partition(b"=")[2]
                    for candidate in (value, value[::-1], item):
                        check(candidate, "/proc/%s/%s" % (entry, kind))
        except OSError:
            pass

# 2. The owner and the server by their real pids: environment, memory, signals.
for label, pid in (("owner", OWNER_PID), ("server", SERVER_PID)):
    for kind in ("environ", "mem", "status"):
        try:
            with open("/proc/%d/%s" % (pid, kind), "rb") as handle:
                data = handle.read(1 << 16)
                report["direct"]["%s/%s" % (label, kind)] = "read"
                for item in data.split(b"\0"):
                    check(item.partition(b"=")[2], "/proc/%d/%s" % (pid, kind))
        except OSError as error:
            report["direct"]["%s/%s" % (label, kind)] = errname(error)
    try:
        os.kill(pid, 0)
        report["signal"][label] = "delivered"
    except OSError as error:
        report["signal"][label] = errname(error)

# 3. ptrace the owner (PTRACE_ATTACH = 16, PTRACE_DETACH = 17).
if HOSTILE:
    if libc.ptrace(16, OWNER_PID, None, None) == 0:
        report["ptrace"] = "attached"
        libc.ptrace(17, OWNER_PID, None, None)
    else:
        report["ptrace"] = errno.errorcode.get(ctypes.get_errno(), "?")

# 4. Uncover the host's /proc: unmount ours, or mount a fresh one elsewhere.
if HOSTILE:
    report["umount"] = "ok" if libc.umount2(b"/proc", 2) == 0 else errno.errorcode.get(ctypes.get_errno(), "?")
    target = tempfile.mkdtemp()
    report["mount"] = "ok" if libc.mount(b"proc", target.encode(), b"proc", 0, None) == 0 else errno.errorcode.get(ctypes.get_errno(), "?")
# 5. Raw memory: the machine's (/dev/mem) and the kernel's (/proc/kcore).
if HOSTILE:
    for device in ("/dev/mem", "/proc/kcore"):
        try:
            with open(device, "rb") as handle:
                handle.read(1)
                report["raw:" + device] = "read"
        except OSError as error:
            report["raw:" + device] = errname(error)
with open("/proc/self/status") as handle:
    report["capeff"] = [line.split()[1] for line in handle if line.startswith("CapEff")][0]

# 6. The server's state folder: its config (token) and runtime files (jpserver-*.json, other kernels).
state = os.path.dirname(os.environ.get("JUPYTER_CONFIG_DIR", "/nonexistent/x"))
report["state"] = sorted(os.listdir(state)) if os.path.isdir(state) else None
found = []
for folder, _, files in os.walk(state):
    for name in files:
        found.append(os.path.relpath(os.path.join(folder, name), state))
        try:
            with open(os.path.join(folder, name), "rb") as handle:
                content = handle.read()
                where = os.path.relpath(os.path.join(folder, name), state)
                try:
                    parsed = json.loads(content)
                    for value in [parsed.get("token"), *parsed.get("ServerApp", {}).values()]:
                        check(str(value).encode(), where)
                except Exception:
                    pass
        except OSError:
            pass
report["state_files"] = sorted(found)
print("REPORT " + json.dumps(report))
