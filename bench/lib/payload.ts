/** A deposit event whose JSON data is 1 KB, like a real-world business event with some free text. */
export function depositData(i: number): Record<string, unknown> {
  const data = {
    accountId: `account-${i % 1000}`,
    amount: (i * 7919) % 100_000,
    currency: 'USD',
    channel: 'branch',
    teller: `teller-${i % 37}`,
    reference: `ref-${i.toString(36).padStart(10, '0')}`,
    note: '',
  };
  data.note = 'n'.repeat(1024 - JSON.stringify(data).length);
  return data;
}
