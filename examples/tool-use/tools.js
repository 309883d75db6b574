// The tool implementations of the tool-use example: one exported function per tool name.
// Each gets the arguments the model wrote (parsed JSON) and returns the result; a string is sent
// to the model as it is, anything else as JSON. A throw becomes an error result the model sees.

/** Today's temperatures of the example, in degrees Celsius. */
const CELSIUS = { Oslo: 12, Lisbon: 21, Cairo: 30, Paris: 17 };

export function get_weather({ city }) {
  if (!Object.hasOwn(CELSIUS, city)) throw new Error(`no weather station for '${city}' (known: ${Object.keys(CELSIUS).join(', ')})`);
  return { city, celsius: CELSIUS[city] };
}

export function to_fahrenheit({ celsius }) {
  if (typeof celsius !== 'number') throw new Error(`celsius must be a number, got ${JSON.stringify(celsius)}`);
  return { fahrenheit: Math.round((celsius * 9) / 5 * 10 + 320) / 10 };
}
