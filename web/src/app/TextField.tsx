import { useId } from 'react'
import type { InputHTMLAttributes, ReactNode } from 'react'

type InputProps = Omit<
  InputHTMLAttributes<HTMLInputElement>,
  'id' | 'value' | 'onChange' | 'aria-invalid' | 'aria-describedby'
>

export type TextFieldProps = InputProps & {
  label: string
  value: string
  onValueChange: (value: string) => void
  /** Shown under the field, and linked to it for screen readers. */
  hint?: ReactNode
  /** The server's (or the form's) complaint about this field. */
  error?: string
  /** Marks the label "(optional)". */
  optional?: boolean
  /** Gets focus when the dialog around it opens. */
  autoFocusInDialog?: boolean
}

/** A labelled input with its hint and error wired up for assistive technology. */
export function TextField({
  label,
  value,
  onValueChange,
  hint,
  error,
  optional = false,
  autoFocusInDialog = false,
  ...inputProps
}: TextFieldProps) {
  const id = useId()
  const hintId = `${id}-hint`
  const errorId = `${id}-error`
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ')

  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {optional && <span className="optional"> (optional)</span>}
      </label>
      <input
        {...inputProps}
        id={id}
        value={value}
        onChange={(event) => onValueChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        data-autofocus={autoFocusInDialog ? '' : undefined}
      />
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
    </div>
  )
}
