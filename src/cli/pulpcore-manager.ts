import { loadSettings } from '../core/settings.js';
// Declares the plugins' settings before they are loaded.
import './registry.js';
import { parseArgs, runCli, UsageError } from './run-cli.js';

const commands = () => import('./manager-commands.js');

const USAGE = `usage: pulpcore-manager <command> [options]

commands:
  migrate                                   apply database migrations (core, then plugins)
  reset-admin-password --password P | --random
                                            set the password of the admin user (created when missing)
  runserver [PORT]                          serve the REST API on 127.0.0.1:PORT (default 24817)
  collectstatic                             copy the static assets (browsable API, web UI) into STATIC_ROOT
  check                                     check settings, database connectivity and migrations
  openapi [--file F] [--component a,b] [--bindings] [--pk-path]
                                            write the OpenAPI document (JSON, or YAML for *.yaml/*.yml)
  add-signing-service NAME SCRIPT KEY [--class C] [--gnupghome D] [--keyring F]
                                            add a signing service (validated by signing a test file)
  remove-signing-service NAME [--class C]   remove a signing service`;

runCli('pulpcore-manager', async () => {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const { flags, positionals } = parseArgs(rest, {
    strings: ['password', 'file', 'component', 'class', 'gnupghome', 'keyring'],
    booleans: ['random', 'bindings', 'pk-path', 'help'],
  });
  const settings = loadSettings({ env: process.env });
  switch (command) {
    case 'migrate':
      return (await commands()).commandMigrate(settings);
    case 'reset-admin-password':
      return (await commands()).commandResetAdminPassword(settings, flags);
    case 'check':
      return (await commands()).commandCheck(settings);
    case 'openapi':
      return (await commands()).commandOpenApi(settings, flags);
    case 'collectstatic':
      return (await commands()).commandCollectStatic(settings);
    case 'add-signing-service':
      return (await commands()).commandAddSigningService(settings, positionals, flags);
    case 'remove-signing-service':
      return (await commands()).commandRemoveSigningService(settings, positionals, flags);
    case 'runserver':
      return (await commands()).commandRunserver(settings, positionals);
    default:
      throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  }
});
