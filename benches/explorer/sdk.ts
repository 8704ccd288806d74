// The simplest alternative to the explorer: list a prefix with the AWS SDK for JavaScript v3
// (ListObjectsV2, 1000 keys a page, every page) and append a table row per key. Connection
// from the query string: ?endpoint=&bucket=&prefix=&key=&secret= (a local bench server only).
import { S3Client, ListObjectsV2Command } from '@aws-sdk/client-s3';

const q = new URLSearchParams(location.search);
const client = new S3Client({
  endpoint: q.get('endpoint') ?? undefined,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: q.get('key') ?? '', secretAccessKey: q.get('secret') ?? '' },
});
const body = document.getElementById('rows') as HTMLTableSectionElement;
const status = document.getElementById('status') as HTMLElement;

async function run(): Promise<void> {
  let token: string | undefined;
  let n = 0;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: q.get('bucket') ?? '', Prefix: q.get('prefix') ?? '', Delimiter: '/', ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const tr = document.createElement('tr');
      for (const v of [o.Key ?? '', String(o.Size ?? 0), o.LastModified?.toISOString() ?? '']) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      body.append(tr);
      n++;
    }
    status.textContent = `${n} loaded`;
    status.dataset.loaded = String(n);
    token = page.NextContinuationToken;
  } while (token);
  status.dataset.done = 'true';
}
run().catch((e: unknown) => { status.textContent = `failed: ${String(e)}`; status.dataset.failed = 'true'; });
