import { FormField } from '../common/form-field.decorator';

/** Super-client credentials, which every super-client service takes (SPEC §2). */
export class SuperClientFormDto {
  @FormField(256) super_client_id?: string;
  @FormField(256) super_client_secret?: string;
}

/** POST /oauth2/client/list (SPEC §4). */
export class ClientListRequestDto extends SuperClientFormDto {
  @FormField(32) filter_by?: string;
}

/** POST /oauth2/client/reset (SPEC §6). */
export class ClientResetRequestDto {
  @FormField(256) client_id?: string;
}
