// Drives roster's Rocket.Chat dialect with the REST module of the published `@rocket.chat/sdk`
// (dist/lib/api, unpacked by .ci/clients/run.py into ROSTER_SDK_DIR), configured as its users
// configure it: ROCKETCHAT_URL (the tenant base URL), ROCKETCHAT_USER, ROCKETCHAT_PASSWORD.
// It logs in, reads `me` and logs out, which this SDK does with GET. Exits 1 if a check fails.
'use strict'

const path = require('path')
const http = require('http')

const lib = path.join(process.env.ROSTER_SDK_DIR, 'dist', 'lib')
// The SDK logs every call at info level; keep its warnings and errors only.
require(path.join(lib, 'log')).replaceLog({
  debug: () => null,
  info: () => null,
  warning: (...a) => console.warn(...a),
  warn: (...a) => console.warn(...a),
  error: (...a) => console.error(...a)
})
const api = require(path.join(lib, 'api'))

const results = []
function check (name, ok, detail) {
  results.push(ok)
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} @rocket.chat/sdk: ${name}${ok ? '' : ' -- ' + JSON.stringify(detail)}`)
}

// A raw GET with the given session headers: the status, to see a token refused after logout.
function statusOf (endpoint, headers) {
  return new Promise((resolve, reject) => {
    http.get(api.url + endpoint, { headers }, (res) => {
      res.resume()
      resolve(res.statusCode)
    }).on('error', reject)
  })
}

async function main () {
  const expected = JSON.parse(process.env.ROSTER_RC_ADMIN)
  const login = await api.login({
    username: process.env.ROCKETCHAT_USER,
    password: process.env.ROCKETCHAT_PASSWORD
  })
  check('login', login && login.status === 'success' && login.data.userId === expected.id, login)
  const session = { 'X-User-Id': api.authHeaders['X-User-Id'], 'X-Auth-Token': api.authHeaders['X-Auth-Token'] }

  // `get` answers undefined on any failure (it logs and swallows the error).
  const me = await api.get('me')
  check('me', me && me._id === expected.id && me.username === expected.username &&
    me.success === true, me)

  await api.logout()
  check('logout clears the login', api.currentLogin === null, api.currentLogin)
  const after = await statusOf('me', session)
  check('the token is refused after the GET logout', after === 401, after)

  const failed = results.filter((ok) => !ok).length
  console.log(`@rocket.chat/sdk: ${results.length - failed} passed, ${failed} failed`)
  return failed ? 1 : 0
}

main().then((code) => process.exit(code), (err) => {
  console.error('@rocket.chat/sdk run failed:', err)
  process.exit(1)
})
