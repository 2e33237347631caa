import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { CLIENT_TYPES, type ClientType } from './client.entity';

/** The JSON body of POST /oauth2/client/register (README: API at a glance). */
export class ClientRegistrationDto {
  @ApiProperty({ minLength: 3, maxLength: 100, example: 'EasyPDF Exporter' })
  @IsString()
  @MaxLength(100)
  name!: string;

  @ApiProperty({ enum: CLIENT_TYPES })
  @IsIn(CLIENT_TYPES, { message: 'type must be PUBLIC or CONFIDENTIAL' })
  type!: ClientType;

  @ApiProperty({ maxLength: 1000 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
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
    maximum: 31536000,
    description: 'seconds; confidential clients only',
  })
  @IsOptional()
  @IsInt({ message: 'refresh_token_expiry must be a whole number of seconds' })
  refresh_token_expiry?: number | null;
}
