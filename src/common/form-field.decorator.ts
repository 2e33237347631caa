import { ApiPropertyOptional } from '@nestjs/swagger';
import { OAuthError } from './oauth-error';

/** One field of a form or query DTO: an optional string of at most `maxLength` characters. */
interface FormFieldRule {
  name: string;
  maxLength: number;
}

const FORM_FIELDS = Symbol('tokenvakt:form-fields');

/**
 * An optional string field of a form or query, bounded in length. Semantic checks (required,
 * allowed values) happen in the handler, in the order the spec gives for each route; this
 * only refuses what is malformed (a repeated field arrives as an array, not a string).
 * RequestValidationPipe reads DTOs made of these fields with `readFormFields`.
 */
export function FormField(maxLength = 512, description?: string): PropertyDecorator {
  return (target, propertyKey) => {
    ApiPropertyOptional({ type: String, maxLength, description })(target, propertyKey);
    const dto = target.constructor;
    // Reflect.getMetadata also sees a base class's fields; the subclass gets its own list.
    Reflect.defineMetadata(
      FORM_FIELDS,
      [...(formFieldsOf(dto) ?? []), { name: String(propertyKey), maxLength }],
      dto,
    );
  };
}

/** The FormField rules of a DTO class, or undefined when it has none. */
export function formFieldsOf(dto: unknown): readonly FormFieldRule[] | undefined {
  if (typeof dto !== 'function') return undefined;
  return Reflect.getMetadata(FORM_FIELDS, dto) as FormFieldRule[] | undefined;
}

/**
 * The declared fields of a parsed form or query: each absent or a non-empty string within its
 * length; undeclared fields are dropped (RFC 6749 §3.2: unknown parameters are ignored).
 *
 * A field sent without a value (`client_secret=`) is left out, exactly as if it had not been
 * sent: RFC 6749 §3.1 says "Parameters sent without a value MUST be treated as if they were
 * omitted from the request", and tokenvakt applies that to every form and query it reads, so no
 * route has to tell `''` from absent. No field is exempt (README: Choices where the spec is
 * silent): an empty secret, password or verifier is then missing, never a value that could
 * match. A repeated field is still refused, even when its values are empty.
 */
export function readFormFields(
  rules: readonly FormFieldRule[],
  value: unknown,
): Record<string, string> {
  if (typeof value !== 'object' || value === null) {
    throw OAuthError.invalidRequest('The request is malformed.');
  }
  const form: Record<string, string> = {};
  for (const { name, maxLength } of rules) {
    const field = (value as Record<string, unknown>)[name];
    if (field === undefined || field === null) continue;
    if (typeof field !== 'string') {
      throw OAuthError.invalidRequest(`${name} must be given once, as a string`);
    }
    if (field === '') continue;
    if (field.length > maxLength) {
      throw OAuthError.invalidRequest(`${name} is longer than ${maxLength} characters`);
    }
    form[name] = field;
  }
  return form;
}
