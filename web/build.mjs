// Build the widget: one minified ES module, hls.js's light build beside it (loaded only where the
// browser has no native HLS), and the sizes the budget is checked against.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

mkdirSync('dist', { recursive: true });
await build({
  entryPoints: ['src/reelcart-feed.js'],
  outfile: 'dist/reelcart-feed.min.js',
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  legalComments: 'none',
});
copyFileSync('node_modules/hls.js/dist/hls.light.min.js', 'dist/hls.light.min.js');
const size = (f) => {
  const b = readFileSync(f);
  return { bytes: b.length, gzip: gzipSync(b, { level: 9 }).length };
};
const sizes = { widget: size('dist/reelcart-feed.min.js'), hls_light: size('dist/hls.light.min.js') };
writeFileSync('dist/sizes.json', JSON.stringify(sizes, null, 2) + '\n');
console.log(`widget ${sizes.widget.bytes} B, ${sizes.widget.gzip} B gzip (budget 10240); hls.js light ${sizes.hls_light.gzip} B gzip, loaded only without native HLS`);
if (sizes.widget.gzip > 10240) {
  console.error('the widget is over its 10 KB gzip budget');
  process.exit(1);
}
