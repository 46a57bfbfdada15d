// Preloaded (node --import) into every process `pulp-ts run` starts: when the supervisor disappears without
// a word (SIGKILL, OOM), the process sends itself SIGTERM, so its own graceful shutdown runs and nothing is
// left behind. Plain JavaScript on purpose: it runs before tsx is registered.
const supervisor = Number(process.env.PULP_TS_SUPERVISOR_PID);
if (Number.isInteger(supervisor) && supervisor > 1) {
  const timer = setInterval(() => {
    try {
      process.kill(supervisor, 0);
    } catch {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 1000);
  timer.unref();
}
