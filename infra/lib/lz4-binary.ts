/**
 * Carrying lz4-napi's native binary into the Lambda bundle, for the function's architecture.
 *
 * lz4-napi cannot be bundled (a `.node` file is not JavaScript), and letting `cdk synth` run
 * `npm install` for it (esbuild `nodeModules`) needs the network and installs the binary of the
 * machine that synthesises, not of the function. So the bundle marks lz4-napi external and an
 * after-bundling hook copies, from this checkout's node_modules:
 *
 *   node_modules/lz4-napi/{index.js,package.json}                    the loader
 *   node_modules/@antoniomuso/lz4-napi-linux-<arch>-gnu/*.node  →   node_modules/lz4-napi/lz4-napi.linux-<arch>-gnu.node
 *
 * The loader tries `./lz4-napi.<platform>.node` next to itself first, so the copy is found
 * without its wrapper package. Lambda runs Amazon Linux (glibc), hence the `-gnu` builds.
 *
 * npm installs only the binary of the machine it runs on. When the function's architecture
 * differs (an x86_64 laptop deploying an arm64 function, any Mac), the binary is absent: the
 * bundle then ships without lz4-napi and the record format falls back to lz4js, pure JS,
 * byte-for-byte compatible and about 2-3x slower (client/src/format/lz4.ts); synth says so with
 * a warning and how to fetch the right binary.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export type LambdaArchitectureName = "arm64" | "x86_64";

export interface Lz4Binary {
  /** napi-rs platform triple of the binary, e.g. linux-arm64-gnu. */
  target: string;
  /** The npm package that carries it. */
  packageName: string;
  /** Absolute path of the binary in node_modules, when installed. */
  binaryPath: string | undefined;
}

export function lz4BinaryFor(nodeModulesDir: string, architecture: LambdaArchitectureName): Lz4Binary {
  const target = architecture === "arm64" ? "linux-arm64-gnu" : "linux-x64-gnu";
  const packageName = `@antoniomuso/lz4-napi-${target}`;
  const candidates = [
    join(nodeModulesDir, packageName, `lz4-napi.${target}.node`),
    join(nodeModulesDir, "lz4-napi", `lz4-napi.${target}.node`),
  ];
  return { target, packageName, binaryPath: candidates.find((path) => existsSync(path)) };
}

/** POSIX shell commands (esbuild's local bundling runs them with sh) copying the loader and binary into the bundle. */
export function lz4CopyCommands(nodeModulesDir: string, binary: Lz4Binary, outputDir: string): string[] {
  if (binary.binaryPath === undefined) return [];
  const destination = `${outputDir}/node_modules/lz4-napi`;
  const loader = join(nodeModulesDir, "lz4-napi");
  return [
    `mkdir -p ${quote(destination)}`,
    `cp ${quote(join(loader, "index.js"))} ${quote(join(loader, "package.json"))} ${quote(destination)}/`,
    `cp ${quote(binary.binaryPath)} ${quote(`${destination}/lz4-napi.${binary.target}.node`)}`,
  ];
}

/**
 * How to get the missing binary, for the synth warning and the docs. `npm pack` fetches a
 * package whatever its os/cpu; `npm install --cpu=...` would instead re-resolve every optional
 * dependency of the tree for the other platform (esbuild's own binary included).
 */
export function lz4InstallHint(binary: Lz4Binary, version: string): string {
  const tarball = `${binary.packageName.replace("@", "").replace("/", "-")}-${version}.tgz`;
  const dir = `node_modules/${binary.packageName}`;
  return (
    `npm pack ${binary.packageName}@${version} --pack-destination /tmp && mkdir -p ${dir} && ` +
    `tar -xzf /tmp/${tarball} --strip-components=1 -C ${dir}`
  );
}

function quote(path: string): string {
  return `'${path.replaceAll("'", "'\\''")}'`;
}
