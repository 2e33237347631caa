import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { CLIENT_TYPES, type ClientType } from './client.entity';

/** The JSON body of POST /oauth2/client/register (SPEC §6). */
export class ClientRegistrationDto {
  @IsString()
  @MaxLength(100)
  name!: string;

  @IsIn(CLIENT_TYPES, { message: 'type must be PUBLIC or CONFIDENTIAL' })
  type!: ClientType;

  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  description!: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  url?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  redirect_uri?: string | null;

  @IsOptional()
  @IsInt({ message: 'refresh_token_expiry must be a whole number of seconds' })
  refresh_token_expiry?: number | null;
}
