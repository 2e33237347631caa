import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, type TransformFnParams } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { CLIENT_TYPES, type ClientType } from './client.entity';
import {
  type ClientSource,
  MAX_CLIENT_NAME_LENGTH,
  MAX_SOURCE_BYTES,
  MIN_CLIENT_NAME_LENGTH,
} from './clients.service';

const NAME_RULE = `name is required: ${MIN_CLIENT_NAME_LENGTH} to ${MAX_CLIENT_NAME_LENGTH} characters.`;
const DESCRIPTION_RULE = 'description is required: 1 to 1000 characters.';

/** The JSON body of POST /oauth2/client/register (README: API at a glance). */
export class ClientRegistrationDto {
  @ApiProperty({
    minLength: MIN_CLIENT_NAME_LENGTH,
    maxLength: MAX_CLIENT_NAME_LENGTH,
    example: 'EasyPDF Exporter',
  })
  // One message for every way a name can be wrong, missing included: class-validator reports
  // the length rule first, and "shorter than 255" would mislead about a missing name.
  @IsString({ message: NAME_RULE })
  @MaxLength(MAX_CLIENT_NAME_LENGTH, { message: NAME_RULE })
  name!: string;

  @ApiProperty({ enum: CLIENT_TYPES })
  @IsIn(CLIENT_TYPES, { message: 'type must be PUBLIC or CONFIDENTIAL' })
  type!: ClientType;

  @ApiProperty({ maxLength: 1000 })
  @IsString({ message: DESCRIPTION_RULE })
  @IsNotEmpty({ message: DESCRIPTION_RULE })
  @MaxLength(1000, { message: DESCRIPTION_RULE })
  description!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'http(s) URL of the application',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  url?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'absolute https URI (plain http only for 127.0.0.1, [::1] and localhost), ' +
      'no user name or password, no fragment; stored in canonical form (WHATWG URL serialisation)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  redirect_uri?: string | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 31536000,
    description:
      'seconds; confidential clients only; 0 (as Kustvakt and its clients send it) means the ' +
      'default, REFRESH_TOKEN_TTL, for either type',
  })
  @IsOptional()
  @IsInt({ message: 'refresh_token_expiry must be a whole number of seconds' })
  refresh_token_expiry?: number | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      `a JSON object describing the client (Kalamar's plugin description), at most ` +
      `${MAX_SOURCE_BYTES} bytes as JSON; returned as is in client info and the client list`,
  })
  // The value as parsed, not class-transformer's copy of it, which leaves out keys named like
  // the methods of Object ("toString", "valueOf"): a plugin description is kept as sent.
  @Transform(({ obj }: TransformFnParams) => (obj as { source?: unknown }).source)
  @IsOptional()
  @IsObject({ message: 'source must be a JSON object' })
  source?: ClientSource | null;
}
