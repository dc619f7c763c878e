// Usage: node validate.mjs FILE — exits 0 when FILE is a valid OpenAPI document, 1 with the errors otherwise.
import { Validator } from "@seriousme/openapi-schema-validator";
import { readFile } from "node:fs/promises";

const file = process.argv[2];
const validator = new Validator();
const result = await validator.validate(JSON.parse(await readFile(file, "utf8")));
if (result.valid) {
  console.log(`valid OpenAPI ${validator.version} document`);
} else {
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
