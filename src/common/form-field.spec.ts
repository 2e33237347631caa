import 'reflect-metadata';
import assert from 'node:assert/strict';
import { parse } from 'node:querystring';
import { describe, it } from 'node:test';
import { FormField, formFieldsOf, readFormFields } from './form-field.decorator';
import { OAuthError } from './oauth-error';

class BaseForm {
  @FormField(8) name?: string;
}

class ExtendedForm extends BaseForm {
  @FormField(3) code?: string;
}

const read = (dto: unknown, value: unknown): Record<string, string> =>
  readFormFields(formFieldsOf(dto) ?? [], value);

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof OAuthError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_request');
    return error.description;
  }
  assert.fail('expected a refusal');
}

describe('FormField and readFormFields', () => {
  it('keeps declared string fields, drops undeclared ones, and leaves absent ones out', () => {
    assert.deepEqual(read(ExtendedForm, parse('name=alice&code=abc&other=x')), {
      name: 'alice',
      code: 'abc',
    });
    assert.deepEqual(read(ExtendedForm, parse('')), {});
  });

  it('gives a subclass its base class fields, and the base class only its own', () => {
    assert.deepEqual(
      formFieldsOf(ExtendedForm)?.map((rule) => rule.name),
      ['name', 'code'],
    );
    assert.deepEqual(
      formFieldsOf(BaseForm)?.map((rule) => rule.name),
      ['name'],
    );
    assert.equal(formFieldsOf(class Plain {}), undefined);
  });

  it('refuses a repeated field (an array) and a field over its length, naming the field', () => {
    assert.match(
      refusal(() => read(ExtendedForm, parse('code=a&code=b'))),
      /^code must be given once/,
    );
    assert.match(
      refusal(() => read(ExtendedForm, parse('code=abcd'))),
      /^code is longer than 3/,
    );
    assert.equal(read(ExtendedForm, parse('code=abc')).code, 'abc');
  });

  it('leaves out a field sent without a value, as if omitted (RFC 6749 §3.1)', () => {
    assert.deepEqual(read(ExtendedForm, parse('name=&code=abc')), { code: 'abc' });
    assert.deepEqual(read(ExtendedForm, parse('name&code=')), {});
    assert.equal('name' in read(ExtendedForm, parse('name=')), false);
    // Blanks are a value: only the empty string is no value.
    assert.deepEqual(read(ExtendedForm, parse('name=%20')), { name: ' ' });
  });

  it('still refuses a repeated field whose values are empty', () => {
    assert.match(
      refusal(() => read(ExtendedForm, parse('name=&name='))),
      /^name must be given once/,
    );
    assert.match(
      refusal(() => read(ExtendedForm, parse('name=&name=alice'))),
      /^name must be given once/,
    );
  });

  it('refuses a value that is not a parsed form at all', () => {
    refusal(() => read(BaseForm, undefined));
    refusal(() => read(BaseForm, 'name=alice'));
  });
});
