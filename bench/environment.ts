/**
 * Where a benchmark ran, recorded beside its figures: figures from two machines, two Node
 * versions or two file systems are not comparable, and a results folder should say which it is.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem, release, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The machine and software a benchmark ran on. */
export interface EnvironmentRecord {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  lmdb: string;
  /** File system of the results folder (where checkpoints of the benchmarks go by default is the system's temporary folder: both are given). */
  fileSystem: string;
  tmpFileSystem: string;
  /** The snapflow commit, with `+changes` when the work tree differed from it. */
  commit: string;
}

/** Magic numbers of the file systems a results folder is likely on (statfs's `f_type`). */
const FILE_SYSTEMS: Record<number, string> = {
  0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x6969: 'nfs',
  0x2fc12fc1: 'zfs', 0x65735546: 'fuse', 0x5346544e: 'ntfs', 0x4d44: 'vfat', 0x1badface: 'bfs',
};

function fileSystemOf(dir: string): string {
  try {
    const type = statfsSync(dir).type;
    return FILE_SYSTEMS[type] ?? `0x${type.toString(16)}`;
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = dirname(require.resolve(name));
    // Walk up from the package's entry to its package.json.
    for (let i = 0; i < 4; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // No package.json at this level: go up.
      }
    }
  } catch {
    // Not installed: said below.
  }
  return 'unknown';
}

function commit(): string {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  try {
    const head = execFileSync('git', ['-C', repo, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** The environment of this process, with the file system of `resultsDir`. */
export function environmentRecord(resultsDir: string, tmp: string): EnvironmentRecord {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`, node: process.version, lmdb: packageVersion('lmdb'),
    fileSystem: fileSystemOf(resultsDir), tmpFileSystem: fileSystemOf(tmp), commit: commit(),
  };
}
