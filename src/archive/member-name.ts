/**
 * Member names as `tar -C data -cG .` writes them ("./", "./dir/", "./dir/file") and the
 * relative paths they stand for ("", "dir", "dir/file"). Pure.
 */

/** The member name of a data-relative path; directories end with "/". */
export function memberName(path: string, isDir: boolean): string {
  if (path === '') return './';
  return isDir ? `./${path}/` : `./${path}`;
}

/**
 * The relative path a member name stands for: leading "./" and "." components, empty
 * components and trailing slashes removed. Anything else (a leading "/", "..") is kept
 * as it is, for the safety check to reject.
 */
export function memberPath(name: string): string {
  const absolute = name.startsWith('/');
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  const rel = parts.join('/');
  return absolute ? `/${rel}` : rel;
}
