/**
 * The poller's code asset: the handler bundle (handler.mjs and its chunks/) plus the
 * configuration file, in one directory.
 *
 * Run from a checkout (this file is TypeScript), the handler is bundled at synth time by the
 * local esbuild with infra/handler-bundle.json, the one configuration `npm run bundle` uses too.
 * Run from the published package (compiled JavaScript), the bundle the package ships in
 * dist/bundle/ is used as is: a consumer needs neither esbuild nor the TypeScript sources.
 * When a stack is not being bundled (`cdk synth --exclusively` for another stack, tests), a
 * placeholder stands in for the bundle, like NodejsFunction does.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack, Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import bundleConfig from './handler-bundle.json' with { type: 'json' };

/** The handler setting of the function ("file.export"). */
export const HANDLER = bundleConfig.handler;

/** What goes into the function's code directory. */
export interface HandlerCodeOptions {
  /** Extra files at the root (name -> content), e.g. the configuration. */
  readonly files?: Readonly<Record<string, string>>;
  /** Ship the source map next to the bundle. @default false */
  readonly sourceMap?: boolean;
}

/** The package root: two levels up from infra/ in a checkout, three from dist/infra/ in the package. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ROOT = fileURLToPath(new URL(FROM_SOURCE ? '../' : '../../', import.meta.url));
/** Where the package ships the prebuilt bundle directory (npm run bundle writes it there). */
export const SHIPPED_BUNDLE_DIR = join(ROOT, 'dist', 'bundle');
/** The folder of the lazily imported chunks, beside the handler. */
const CHUNKS = 'chunks';

/** A file name that stays one plain path segment under /var/task. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The code for the poller in `scope`'s stack: bundle (built, shipped or placeholder) plus `files`. */
export function handlerCode(scope: Construct, options: HandlerCodeOptions = {}): lambda.Code {
  const files = Object.entries(options.files ?? {});
  for (const [name] of files) {
    if (!FILE_NAME.test(name) || name === bundleConfig.outfile || name === CHUNKS) {
      throw new Error(`Pop3Poller: bundled file name ${JSON.stringify(name)} must be one plain file name ([A-Za-z0-9._-]) other than the bundle's`);
    }
  }
  const bundle = Stack.of(scope).bundlingRequired ? bundleDir() : undefined;
  const shipped = bundle === undefined ? [] : bundleFiles(bundle, options.sourceMap === true);
  const hash = createHash('sha256');
  if (bundle === undefined) hash.update('placeholder');
  for (const file of shipped) hash.update(`\0${file}\0`).update(readFileSync(join(bundle as string, file)));
  for (const [name, content] of files) hash.update(`\0${name}\0${content}`);
  hash.update(String(options.sourceMap === true));
  const dir = join(Stage.of(scope)?.assetOutdir ?? tmpdir(), 'pop3-ingest-code', hash.digest('hex').slice(0, 24));
  mkdirSync(dir, { recursive: true });
  if (bundle === undefined) {
    writeFileSync(join(dir, bundleConfig.outfile), '// bundling skipped for this stack\nexport const handler = async () => ({});\n');
  }
  for (const file of shipped) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(bundle as string, file), join(dir, file));
  }
  for (const [name, content] of files) writeFileSync(join(dir, name), content);
  return lambda.Code.fromAsset(dir);
}

let built: string | undefined;

/** The files of a bundle directory to ship: the handler, its chunks, and their maps when asked. */
function bundleFiles(bundle: string, sourceMap: boolean): string[] {
  const chunks = existsSync(join(bundle, CHUNKS)) ? readdirSync(join(bundle, CHUNKS)).map((f) => `${CHUNKS}/${f}`) : [];
  return [bundleConfig.outfile, `${bundleConfig.outfile}.map`, ...chunks]
    .filter((f) => f.endsWith('.mjs') || (sourceMap && f.endsWith('.mjs.map')))
    .filter((f) => existsSync(join(bundle, f)))
    .sort();
}

/** The bundle directory to ship: built once per process from the sources, or the one the package ships. */
function bundleDir(): string {
  if (!FROM_SOURCE) {
    if (!existsSync(join(SHIPPED_BUNDLE_DIR, bundleConfig.outfile))) {
      throw new Error(`pop3-ingest: the handler bundle ${join(SHIPPED_BUNDLE_DIR, bundleConfig.outfile)} is missing from the package; reinstall it`);
    }
    return SHIPPED_BUNDLE_DIR;
  }
  if (built === undefined) {
    // esbuild is a devDependency: loaded only here, from a checkout.
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    // Two levels under the package root, like dist/bundle: chunk names hash the source map's
    // relative paths, so the same depth gives the same bytes as `npm run bundle`, wherever the
    // checkout is (a moved checkout does not redeploy an unchanged handler).
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    const outdir = mkdtempSync(join(ROOT, 'dist', '.handler-'));
    esbuild.buildSync({ ...(bundleConfig.options as import('esbuild').BuildOptions), absWorkingDir: ROOT, entryPoints: { [entryName()]: bundleConfig.entry }, outdir, logLevel: 'warning' });
    built = outdir;
  }
  return built;
}

/** The entry's output name: handler.mjs comes from the entry point named "handler". */
export function entryName(): string {
  return bundleConfig.outfile.replace(/\.mjs$/, '');
}

