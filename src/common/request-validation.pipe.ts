import {
  type ArgumentMetadata,
  Injectable,
  type PipeTransform,
  ValidationPipe,
} from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { formFieldsOf, readFormFields } from './form-field.decorator';
import { OAuthError } from './oauth-error';

function firstConstraint(errors: ValidationError[]): string {
  for (const error of errors) {
    const message = Object.values(error.constraints ?? {})[0];
    if (message !== undefined) return message;
    const nested = firstConstraint(error.children ?? []);
    if (nested !== '') return nested;
  }
  return '';
}

/**
 * The global pipe. Form and query DTOs, made of FormFields only, are read by their field
 * rules directly; the JSON DTO of client registration goes through class-validator. Both
 * refuse with 400 invalid_request. The form path matters: class-transformer and
 * class-validator on every form cost several per cent of a request's CPU (BENCHMARKS.md).
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  private readonly classValidation = new ValidationPipe({
    whitelist: true,
    transform: true,
    exceptionFactory: (errors) =>
      OAuthError.invalidRequest(firstConstraint(errors) || 'The request is malformed.'),
  });

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const formFields = formFieldsOf(metadata.metatype);
    return formFields
      ? readFormFields(formFields, value)
      : this.classValidation.transform(value, metadata);
  }
}
