/**
 * The poller's code asset: the handler bundle plus the configuration file, in one directory.
 *
 * Run from a checkout (this file is TypeScript), the handler is bundled at synth time by the
 * local esbuild with infra/handler-bundle.json, the one configuration `npm run bundle` uses too.
 * Run from the published package (compiled JavaScript), the bundle the package ships in
 * dist/bundle/ is used as is: a consumer needs neither esbuild nor the TypeScript sources.
 * When a stack is not being bundled (`cdk synth --exclusively` for another stack, tests), a
 * placeholder stands in for the bundle, like NodejsFunction does.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
/** Where the package ships the prebuilt bundle (npm run bundle writes it there). */
export const SHIPPED_BUNDLE = join(ROOT, 'dist', 'bundle', bundleConfig.outfile);

/** A file name that stays one plain path segment under /var/task. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The code for the poller in `scope`'s stack: bundle (built, shipped or placeholder) plus `files`. */
export function handlerCode(scope: Construct, options: HandlerCodeOptions = {}): lambda.Code {
  const files = Object.entries(options.files ?? {});
  for (const [name] of files) {
    if (!FILE_NAME.test(name) || name === bundleConfig.outfile) {
      throw new Error(`Pop3Poller: bundled file name ${JSON.stringify(name)} must be one plain file name ([A-Za-z0-9._-]) other than the bundle's`);
    }
  }
  const bundle = Stack.of(scope).bundlingRequired ? bundlePath() : undefined;
  const hash = createHash('sha256');
  hash.update(bundle === undefined ? 'placeholder' : readFileSync(bundle));
  for (const [name, content] of files) hash.update(`\0${name}\0${content}`);
  hash.update(String(options.sourceMap === true));
  const dir = join(Stage.of(scope)?.assetOutdir ?? tmpdir(), 'pop3-ingest-code', hash.digest('hex').slice(0, 24));
  mkdirSync(dir, { recursive: true });
  if (bundle === undefined) {
    writeFileSync(join(dir, bundleConfig.outfile), '// bundling skipped for this stack\nexport const handler = async () => ({});\n');
  } else {
    copyFileSync(bundle, join(dir, bundleConfig.outfile));
    if (options.sourceMap === true) copyFileSync(`${bundle}.map`, join(dir, `${bundleConfig.outfile}.map`));
  }
  for (const [name, content] of files) writeFileSync(join(dir, name), content);
  return lambda.Code.fromAsset(dir);
}

let built: string | undefined;

/** The bundle to ship: built once per process from the sources, or the one the package ships. */
function bundlePath(): string {
  if (!FROM_SOURCE) {
    if (!existsSync(SHIPPED_BUNDLE)) throw new Error(`pop3-ingest: the handler bundle ${SHIPPED_BUNDLE} is missing from the package; reinstall it`);
    return SHIPPED_BUNDLE;
  }
  if (built === undefined) {
    // esbuild is a devDependency: loaded only here, from a checkout.
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const outfile = join(mkdtempSync(join(tmpdir(), 'pop3-ingest-handler-')), bundleConfig.outfile);
    esbuild.buildSync({ ...(bundleConfig.options as import('esbuild').BuildOptions), absWorkingDir: ROOT, entryPoints: [bundleConfig.entry], outfile, logLevel: 'warning' });
    built = outfile;
  }
  return built;
}
