import { FormField } from '../common/form-field.decorator';

/** The query of GET /admin/users/{username}/tokens: the token list's filters and paging. */
export class AdminTokenQueryDto {
  @FormField(32) token_type?: string;
  @FormField(256) client_id?: string;
  @FormField(16) start?: string;
  @FormField(16) max_results?: string;
  @FormField(8) counts_only?: string;
}
