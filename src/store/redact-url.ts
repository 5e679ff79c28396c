/** A database location without its password, for messages and `location`. */
export function redactUrl(location: string): string {
  return location.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
