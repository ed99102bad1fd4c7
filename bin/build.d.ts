export declare const REPO: string;
export declare function ensureServerBuild(opts?: {
  root?: string;
  entry?: string;
  outDir?: string;
  /** Folders (relative to root) whose files decide a rebuild; default: the entry's folder. */
  sourceDirs?: string[];
}): Promise<{ file: string; built: boolean }>;
export declare function ensureWebBuild(run: (nodeArgs: string[]) => void, root?: string): boolean;
