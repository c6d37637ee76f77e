import { ConfigError, loadConfig } from './config/index.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const running = await startServer(config);
  // A stray rejection inside a library must not end an instance holding thousands of fans'
  // sockets (Node's default); the operator sees it in the logs instead.
  process.on('unhandledRejection', (reason) =>
    running.logger.error({ err: reason }, 'unhandled promise rejection'),
  );
  const stop = (signal: string) => {
    running.logger.info({ signal }, 'received signal');
    running.close().then(
      () => process.exit(0),
      (err) => {
        running.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error('Lineup failed to start:', err);
  process.exit(1);
});
