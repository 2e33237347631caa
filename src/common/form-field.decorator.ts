import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * An optional string field of a form or query, bounded in length. Semantic checks (required,
 * allowed values) happen in the handler, in the order the spec gives for each route; this
 * only refuses what is malformed (a repeated field arrives as an array, not a string).
 */
export function FormField(maxLength = 512, description?: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, maxLength, description }),
    IsOptional(),
    IsString({ message: '$property must be given once, as a string' }),
    MaxLength(maxLength, { message: `$property is longer than ${maxLength} characters` }),
  );
}
