// Preloaded (node --import) into every process `pulp-ts run` starts: when the supervisor disappears without
// a word (SIGKILL, OOM), the process sends itself SIGTERM, so its own graceful shutdown runs and nothing is
// left behind. PULP_TS_SUPERVISOR_GONE tells that shutdown why: a worker then aborts its running task at once
// instead of finishing it as an orphan that nobody will stop. Plain JavaScript on purpose: it runs before tsx
// is registered.
const supervisor = Number(process.env.PULP_TS_SUPERVISOR_PID);
if (Number.isInteger(supervisor) && supervisor > 1) {
  const timer = setInterval(() => {
    try {
      process.kill(supervisor, 0);
    } catch {
      clearInterval(timer);
      process.env.PULP_TS_SUPERVISOR_GONE = '1';
      process.kill(process.pid, 'SIGTERM');
    }
  }, 1000);
  timer.unref();
}
