// MemoryStore's geospatial methods as JavaScript uses them, with `@upstash/redis`'s call
// signatures: `geoadd(key, { nx | xx, ch }?, { longitude, latitude, member }, ...more)`,
// `geopos(key, ...members)`, `geodist(key, member1, member2, unit?)`,
// `geohash(key, ...members)`. The cases join memory_cases.js's list; the expected answers
// are redis-server 7.0's.

import { eq, throws } from './assert.js';

export const geoCases = {
  geo_speaks_upstash(MemoryStore) {
    const s = new MemoryStore();
    const palermo = { longitude: 13.361389, latitude: 38.115556, member: 'Palermo' };
    const catania = { longitude: 15.087269, latitude: 37.502669, member: 'Catania' };
    eq(s.geoadd('Sicily', palermo, catania), 2, 'geoadd answers the new members');
    eq(s.geoadd('Sicily', { nx: true }, { ...palermo, longitude: 13 }), 0, 'nx does not move');
    eq(s.geoadd('Sicily', { xx: true, ch: true }, { ...palermo, longitude: 13.5 }), 1, 'xx with ch counts the move');
    eq(s.geoadd('Sicily', { xx: true, ch: true }, palermo), 1);
    eq(s.zscore('Sicily', 'Palermo'), 3479099956230698, 'a geospatial index is a sorted set of geohashes');
    eq(s.geopos('Sicily', 'Palermo', 'nope'), [{ lng: 13.361389338970184, lat: 38.1155563954963 }],
      'geopos answers the cell centers of the members that exist');
    eq(s.geopos('Sicily', ['nope']), []);
    eq(s.geodist('Sicily', 'Palermo', 'Catania'), 166274.1516, 'meters by default');
    eq(s.geodist('Sicily', 'Palermo', 'Catania', 'KM'), 166.2742);
    eq(s.geodist('Sicily', 'Palermo', 'Catania', 'mi'), 103.3182);
    eq(s.geodist('Sicily', 'Palermo', 'nope'), null);
    eq(s.geohash('Sicily', 'Palermo', 'Catania', 'nope'), ['sqc8b49rny0', 'sqdtr74hyu0', null]);
    eq(s.geohash('Sicily', ['Catania']), ['sqdtr74hyu0']);
    throws(() => s.geoadd('Sicily', { longitude: 181, latitude: 0, member: 'x' }), 'ReplyError',
      'invalid longitude,latitude pair 181.000000,0.000000');
    throws(() => s.geoadd('Sicily', { nx: true, xx: true }, palermo), 'ReplyError', 'syntax error');
    throws(() => s.geodist('Sicily', 'Palermo', 'Catania', 'yd'), 'ReplyError', 'unsupported unit provided');
    throws(() => s.geoadd('Sicily', { nx: true }), 'TypeError', 'expects at least one');
    s.set('str', 'x');
    throws(() => s.geopos('str', 'a'), 'ReplyError', 'WRONGTYPE');
  },
};

/** The names of these cases (memory_cases.js runs them). */
export function geoCaseNames() {
  return Object.keys(geoCases);
}
