// The part of @vercel/ncc's API (it ships no types) that scripts/bundle.ts uses.
declare module '@vercel/ncc' {
  interface Options {
    /** Build an ES module (default: from the entry's extension and package.json's "type"). */
    esm?: boolean;
    minify?: boolean;
    /** The asset to write the bundled packages' licences to. */
    license?: string;
    quiet?: boolean;
    /** false: no build cache (default: ~/.cache/ncc). */
    cache?: false;
  }
  interface Output {
    code: string;
    assets: Record<string, { source: string | Buffer; permissions?: number }>;
  }
  export default function ncc(entry: string, options?: Options): Promise<Output>;
}
