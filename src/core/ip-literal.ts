// IP address literals, recognised without node:net (the core has no node: imports).

/** Dotted-quad IPv4 without leading zeros, as Go's net.ParseIP (and the API server) accepts it. */
export function isIPv4Literal(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
}

/** RFC 4291 text form: eight groups, one '::' elision, an optional dotted-quad tail; no zone id. */
export function isIPv6Literal(text: string): boolean {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return false;
  let groups = text.split(':');
  let budget = 8;
  const last = groups[groups.length - 1] ?? '';
  if (last.includes('.')) {
    if (!isIPv4Literal(last)) return false;
    // The dotted quad fills two groups: count it as one placeholder group out of seven.
    groups = [...groups.slice(0, -1), '0'];
    budget = 7;
  }
  const elisions = text.split('::').length - 1;
  if (elisions > 1) return false;
  if (elisions === 0) return groups.length === budget && groups.every(isHexGroup);
  const [head = '', tail = ''] = groups.join(':').split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  return headGroups.length + tailGroups.length < budget && [...headGroups, ...tailGroups].every(isHexGroup);
}

function isHexGroup(group: string): boolean {
  return /^[0-9a-fA-F]{1,4}$/.test(group);
}
