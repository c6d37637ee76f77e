// The SDK as an integrator gets it: built from a copy of client-sdk/, `npm pack`ed, and unpacked
// into a fresh app's node_modules. The package's dependencies are linked from this repository's
// node_modules (the tests run offline; `npm install` of the tarball would fetch the same packages).
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SDK = join(ROOT, 'client-sdk');
export const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

export interface PackedSdk {
  /** The fresh app: package.json, node_modules/@lineup/client-sdk from the tarball. */
  appDir: string;
  /** Where the package was unpacked. */
  sdkDir: string;
  /** Paths inside the tarball (`dist/index.js`, `README.md`...). */
  files: string[];
}

export async function packAndInstallSdk(): Promise<PackedSdk> {
  const work = await mkdtemp(join(tmpdir(), 'lineup-sdk-'));
  const pkg = join(work, 'pkg');
  await mkdir(pkg);
  for (const entry of ['package.json', 'README.md', 'tsconfig.json', 'src']) {
    await cp(join(SDK, entry), join(pkg, entry), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  await run(process.execPath, [TSC, '-p', join(pkg, 'tsconfig.json')], { cwd: pkg });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: pkg,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error('npm pack printed nothing');

  const appDir = join(work, 'app');
  const sdkDir = join(appDir, 'node_modules/@lineup/client-sdk');
  await mkdir(sdkDir, { recursive: true });
  await writeFile(
    join(appDir, 'package.json'),
    JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }),
  );
  await run('tar', ['-xzf', join(work, packed.filename), '-C', sdkDir, '--strip-components=1']);
  const manifest = JSON.parse(await readFile(join(sdkDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const dep of [...Object.keys(manifest.dependencies ?? {}), '@types/node', 'typescript']) {
    const link = join(appDir, 'node_modules', dep);
    await mkdir(dirname(link), { recursive: true });
    await symlink(join(ROOT, 'node_modules', dep), link, 'dir');
  }
  return { appDir, sdkDir, files: packed.files.map((f) => f.path) };
}

/** Strict settings an integrator's app would use (NodeNext, strict, no skipLibCheck). */
export const APP_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023', 'DOM'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: false,
    skipLibCheck: false,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
};
