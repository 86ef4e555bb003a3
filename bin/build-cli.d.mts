/** The current build's entry file, or undefined when missing or older than any of its inputs. */
export function freshBuild(): string | undefined;
export function build(): Promise<string>;
/** The entry of a build no older than its sources, building one first if need be. */
export function ensureBuilt(): Promise<string>;
