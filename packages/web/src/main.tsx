// @peculiar/x509 (certificates, through the crypto package) needs the Reflect metadata API
// before its modules run. reflect-metadata is CommonJS, which a bundler runs lazily where it
// is first required, after the ES modules it hoists; so it is loaded first, and the app after.
await import('reflect-metadata');
const { mount } = await import('./mount.js');
mount(document.getElementById('root')!);
export {};
